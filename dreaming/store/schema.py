"""The store's schema, as named migrations (sqlite-utils ``Migrations``).

Each migration is a function whose name is its identity; the
``_sqlite_migrations`` table records which ran.  Never edit or rename a
migration that has shipped: add a new one.  A store that has a migration this
code does not know was written by a newer dreaming and is refused.

The schema is documented for people in ``memory_store/README.md``; a test
checks that every table here is described there.
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database, Migrations

MIGRATION_SET = "dreaming"

migrations = Migrations(MIGRATION_SET)


@migrations()
def m001_versioned_memories(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );

        -- One row per memory *state*.  Rows are never updated or deleted:
        -- a changed memory gets a new row with the same id.
        CREATE TABLE memories (
            rid INTEGER PRIMARY KEY,
            id TEXT NOT NULL,
            path TEXT NOT NULL,
            kind TEXT NOT NULL,
            key TEXT,
            content TEXT NOT NULL,
            content_sha256 TEXT NOT NULL,
            observed_at TEXT,
            created_at TEXT NOT NULL,
            first_seen TEXT,
            last_seen TEXT,
            mentions INTEGER NOT NULL DEFAULT 1,
            metadata TEXT NOT NULL DEFAULT '{}',
            provenance TEXT NOT NULL DEFAULT '[]',
            written_in INTEGER NOT NULL
        );
        CREATE INDEX memories_id ON memories(id);
        CREATE INDEX memories_sha ON memories(content_sha256);

        -- A state is part of version v when valid_from <= v < valid_to
        -- (valid_to NULL: still valid at the newest version).  opened_by /
        -- closed_by name the version whose write opened / closed the range
        -- (opened_by NULL: reopened when a candidate that had closed it was
        -- rejected); they make `reject` exact.
        CREATE TABLE memory_ranges (
            rid INTEGER NOT NULL REFERENCES memories(rid),
            valid_from INTEGER NOT NULL,
            valid_to INTEGER,
            opened_by INTEGER,
            closed_by INTEGER
        );
        -- (no index on opened_by/closed_by: only `reject` reads them)
        CREATE INDEX memory_ranges_to ON memory_ranges(valid_to, rid);
        CREATE INDEX memory_ranges_rid ON memory_ranges(rid);

        CREATE TABLE versions (
            number INTEGER PRIMARY KEY,
            parent INTEGER,
            status TEXT NOT NULL CHECK (status IN ('candidate', 'accepted', 'rejected')),
            origin TEXT NOT NULL,
            created_at TEXT NOT NULL,
            decided_at TEXT,
            message TEXT NOT NULL DEFAULT '',
            run_id TEXT,
            counts TEXT NOT NULL DEFAULT '{}'
        );

        CREATE TABLE changes (
            id INTEGER PRIMARY KEY,
            version INTEGER NOT NULL REFERENCES versions(number),
            seq INTEGER NOT NULL,
            op TEXT NOT NULL,
            inputs TEXT NOT NULL DEFAULT '[]',
            outputs TEXT NOT NULL DEFAULT '[]',
            input_rids TEXT NOT NULL DEFAULT '[]',
            output_rids TEXT NOT NULL DEFAULT '[]',
            reason TEXT NOT NULL DEFAULT '',
            score REAL,
            evidence TEXT NOT NULL DEFAULT '[]',
            details TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX changes_version ON changes(version, seq);

        CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            version INTEGER,
            llm TEXT NOT NULL DEFAULT 'off',
            timings TEXT NOT NULL DEFAULT '{}',
            counts TEXT NOT NULL DEFAULT '{}',
            cost TEXT NOT NULL DEFAULT '{}',
            error TEXT
        );

        CREATE TABLE config (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """
    )


@migrations()
def m002_transcripts(db: Database) -> None:
    db.executescript(
        """
        -- A transcript file we have read, so that re-reading it is cheap.
        CREATE TABLE sources (
            path TEXT PRIMARY KEY,
            format TEXT NOT NULL,
            size INTEGER NOT NULL,
            mtime REAL NOT NULL,
            sha256 TEXT NOT NULL,
            ingested_at TEXT NOT NULL,
            sessions TEXT NOT NULL DEFAULT '[]'
        );

        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            format TEXT NOT NULL,
            started_at TEXT,
            ended_at TEXT,
            time_source TEXT NOT NULL,
            parent_id TEXT,
            metadata TEXT NOT NULL DEFAULT '{}',
            ingested_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );

        -- pk orders turns by arrival; consumed_by is the version whose dream
        -- read the turn (NULL: still pending).
        CREATE TABLE turns (
            pk INTEGER PRIMARY KEY,
            session_id TEXT NOT NULL REFERENCES sessions(id),
            id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            role TEXT NOT NULL,
            speaker TEXT,
            kind TEXT NOT NULL DEFAULT 'message',
            timestamp TEXT,
            text TEXT NOT NULL DEFAULT '',
            tool_calls TEXT NOT NULL DEFAULT '[]',
            agent_id TEXT,
            metadata TEXT NOT NULL DEFAULT '{}',
            consumed_by INTEGER,
            UNIQUE (session_id, id)
        );
        CREATE INDEX turns_pending ON turns(consumed_by, session_id);
        """
    )


@migrations()
def m003_memories_fts(db: Database) -> None:
    # Full-text index over memory states (external content: no second copy
    # of the text).  Rows are only ever inserted, so no update triggers.
    db.executescript(
        """
        CREATE VIRTUAL TABLE memories_fts USING fts5(
            content, path, key,
            content='memories', content_rowid='rid',
            tokenize='porter unicode61 remove_diacritics 2'
        );
        INSERT INTO memories_fts(memories_fts) VALUES ('rebuild');
        """
    )


@migrations()
def m004_dream_lock(db: Database) -> None:
    # One dream at a time: the holder of the store's dream lock (at most one
    # row, name = 'dream').  Taking, renewing and taking over the lock are
    # single write transactions, so two processes can never both win.
    db.executescript(
        """
        CREATE TABLE dream_lock (
            name TEXT PRIMARY KEY,
            token TEXT NOT NULL,
            pid INTEGER NOT NULL,
            host TEXT NOT NULL,
            proc_start TEXT,
            started_at TEXT NOT NULL,
            heartbeat_at TEXT NOT NULL,
            command TEXT NOT NULL DEFAULT ''
        );
        """
    )


@migrations()
def m005_memories_words(db: Database) -> None:
    # A second full-text index over the same states, without the porter
    # stemmer.  Porter reduces some names to a function word ("Ines" -> "in",
    # "Wills" -> "will"), so in ``memories_fts`` such a name matches every
    # memory saying "in"; search looks those words up here instead.
    db.executescript(
        """
        CREATE VIRTUAL TABLE memories_words USING fts5(
            content, path, key,
            content='memories', content_rowid='rid',
            tokenize='unicode61 remove_diacritics 2'
        );
        INSERT INTO memories_words(memories_words) VALUES ('rebuild');
        """
    )


@migrations()
def m006_change_rules(db: Database) -> None:
    # Every change names the rule that fired (a stable id, described in
    # dreaming/plan/rule_ids.py) and that rule's inputs (JSON: the pair's ids,
    # the subject, the values, the scores).  Changes written before this
    # migration get the rule 'legacy'.
    db.executescript(
        """
        ALTER TABLE changes ADD COLUMN rule TEXT NOT NULL DEFAULT 'legacy';
        ALTER TABLE changes ADD COLUMN rule_inputs TEXT NOT NULL DEFAULT '{}';
        """
    )


@migrations()
def m007_review_decisions(db: Database) -> None:
    # A person's decision on a candidate: who, when, through what (cli or the
    # review page), and which changes were accepted and rejected.  A change
    # rejected while the rest of its version was accepted says so itself.
    db.executescript(
        """
        CREATE TABLE decisions (
            id INTEGER PRIMARY KEY,
            version INTEGER NOT NULL REFERENCES versions(number),
            decided_at TEXT NOT NULL,
            who TEXT NOT NULL DEFAULT '',
            via TEXT NOT NULL DEFAULT 'cli',
            verdict TEXT NOT NULL CHECK (verdict IN ('accepted', 'partial', 'rejected')),
            accepted TEXT NOT NULL DEFAULT '[]',
            rejected TEXT NOT NULL DEFAULT '[]',
            released_turns INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX decisions_version ON decisions(version);
        ALTER TABLE changes ADD COLUMN decision TEXT;
        """
    )


@migrations()
def m008_batches_and_purges(db: Database) -> None:
    # runs.batches: the Message Batches a run submitted ({request digest:
    # batch id}), written before the run polls them, so a rerun after a
    # crash collects the same batch instead of paying for it twice.
    # purges: that a purge happened, when and how much it erased (never what).
    db.executescript(
        """
        ALTER TABLE runs ADD COLUMN batches TEXT NOT NULL DEFAULT '{}';

        CREATE TABLE purges (
            seq INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            how TEXT NOT NULL,
            counts TEXT NOT NULL DEFAULT '{}'
        );
        """
    )


@migrations()
def m009_hosted_sync(db: Database) -> None:
    # Managed Agents memory stores (``dreaming pull`` / ``push`` / ``run --engine hosted``).
    # hosted_base: what each hosted path held when we last saw it (pull, or a push
    # that wrote it): the common ancestor of a three-way push.  hosted_pushes /
    # hosted_push_ops: a push's journal, written before each request is sent, so a
    # push killed half-way resumes without sending anything twice.  hosted_dreams:
    # a hosted Dream recorded *before* it is submitted, so a rerun adopts it
    # instead of submitting a second one.
    db.executescript(
        """
        CREATE TABLE hosted_base (
            store_id TEXT NOT NULL,
            path TEXT NOT NULL,
            remote_id TEXT NOT NULL,
            content_sha256 TEXT NOT NULL,
            content TEXT NOT NULL,
            synced_at TEXT NOT NULL,
            PRIMARY KEY (store_id, path)
        );

        CREATE TABLE hosted_pushes (
            id TEXT PRIMARY KEY,
            store_id TEXT,
            new_store_name TEXT,
            version INTEGER NOT NULL,
            status TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            detail TEXT NOT NULL DEFAULT '{}'
        );

        CREATE TABLE hosted_push_ops (
            push_id TEXT NOT NULL REFERENCES hosted_pushes(id),
            seq INTEGER NOT NULL,
            path TEXT NOT NULL,
            op TEXT NOT NULL,
            remote_id TEXT,
            before_sha256 TEXT,
            before_content TEXT,
            target_sha256 TEXT,
            state TEXT NOT NULL,
            PRIMARY KEY (push_id, seq)
        );

        CREATE TABLE hosted_dreams (
            token TEXT PRIMARY KEY,
            dream_id TEXT UNIQUE,
            store_id TEXT NOT NULL,
            session_ids TEXT NOT NULL,
            model TEXT NOT NULL,
            instructions TEXT,
            status TEXT NOT NULL,
            intent_at TEXT NOT NULL,
            output_store_id TEXT,
            usage TEXT NOT NULL DEFAULT '{}',
            run_id TEXT,
            version INTEGER,
            error TEXT
        );
        """
    )


@migrations()
def m010_vectors(db: Database) -> None:
    # The sentence vector of each distinct memory content (dreaming/text/vectors.py: 256 float16, 512 bytes),
    # stored once, on the first state written with that content (rid); every other state with the same
    # content_sha256 (a memory moved, or written again unchanged) shares it through memories_sha.  Derived
    # data: a purge that rewrites a content drops its vector and stores the new one.  Stores from before this
    # migration get theirs here.
    db.executescript(
        """
        CREATE TABLE vectors (
            rid INTEGER PRIMARY KEY REFERENCES memories(rid),
            vector BLOB NOT NULL
        );
        """
    )
    backfill_vectors(db.conn)


def backfill_vectors(conn: sqlite3.Connection, batch: int = 5000) -> int:
    """Store the vector of every memory content that has none, ``batch`` at a time; returns how many."""
    cursor = conn.execute(
        "SELECT min(m.rid), m.content FROM memories m WHERE NOT EXISTS (SELECT 1 FROM memories o "
        "JOIN vectors v ON v.rid = o.rid WHERE o.content_sha256 = m.content_sha256) GROUP BY m.content_sha256"
    )
    done = 0
    while part := cursor.fetchmany(batch):
        from dreaming.text import vectors

        computed = vectors.embed([content for _, content in part])
        conn.executemany("INSERT INTO vectors (rid, vector) VALUES (?, ?)",
                         [(rid, vectors.to_blob(v)) for (rid, _), v in zip(part, computed)])
        done += len(part)
    return done


def known_migrations() -> list[str]:
    return [m.name for m in migrations._migrations]
