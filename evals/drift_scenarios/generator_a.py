"""Drift corpus A: memory stores whose facts get restated and changed over months.

    python3 -m evals.drift_scenarios.generator_a [--seed N] [--out DIR] [--check]

Writes one scenario folder per world into ``evals/drift_scenarios/dev/`` (store.jsonl,
an empty sessions/ and truth.json, the format of ``evals/scenarios/README.md``), then
checks every truth file against its store (``check``): each ``current`` entry matches
exactly the raw memories that state that fact's latest value, each ``stale`` entry
exactly the memories of that fact that state the old value and not the latest one.

Written without reading the engine's rules or its own drift generator (see README.md):
the phrasings come from how people and agents write notes, not from what the engine
recognises.  Standard library only; the same seed gives the same bytes.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

SEED = 20261208
OUT = Path(__file__).resolve().parent / "dev"

# --- the world's vocabulary -------------------------------------------------------


@dataclass(frozen=True)
class Value:
    surfaces: tuple[str, ...]  # how the value is written
    tokens: tuple[str, ...]  # lower-case alternatives; every surface contains one


@dataclass(frozen=True)
class Attr:
    id: str
    labels: tuple[str, ...]  # nouns naming the attribute (synonyms, abbreviations)
    values: tuple[Value, ...]
    stmt: tuple[str, ...] = ()  # attribute-specific statements: {E} entity, {V} value
    chg: tuple[str, ...] = ()  # changes without the old value
    chg_old: tuple[str, ...] = ()  # changes naming the old value {O}
    kind: str = "fact"


@dataclass(frozen=True)
class Entity:
    id: str
    forms: tuple[str, ...]  # how the entity is written (first = most formal)
    tokens: tuple[str, ...]
    attrs: tuple[str, ...]
    slug: str = ""


def V(*surfaces: str, tokens: Sequence[str] = ()) -> Value:
    toks = tuple(tokens) or tuple(dict.fromkeys(s.lower() for s in surfaces))
    return Value(tuple(surfaces), toks)


def names(*people: str) -> tuple[Value, ...]:
    """People as values: written in full or by first name; matched on the first name."""
    return tuple(V(p, p.split()[0], tokens=[p.split()[0].lower()]) for p in people)


def titled(*people: str) -> tuple[Value, ...]:
    """People written with a title ("Dr Mbeki", "Mrs Okonjo"): matched on the surname."""
    return tuple(V(p, f"{p.split()[0]} {p.split()[-1]}", p.split()[-1], tokens=[p.split()[-1].lower()])
                 for p in people)


def days() -> tuple[Value, ...]:
    return tuple(V(d, d + "s", d.lower(), tokens=[d.lower()]) for d in
                 ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"))


_MONTHS = ("January February March April May June July August September October November December").split()


def dates(year_months: Sequence[int]) -> tuple[Value, ...]:
    out = []
    for m in year_months:
        for d in (11, 14, 17, 19, 22, 24, 27):
            mon = _MONTHS[m - 1]
            out.append(V(f"{d} {mon}", f"{mon} {d}", f"{d} {mon[:3]}", f"{d}/{m:02d}",
                         tokens=[f"{d} {mon[:3].lower()}", f"{mon.lower()} {d}", f"{d}/{m:02d}"]))
    return tuple(out)


def person(full: str, *extra: str, shared_first: bool = False, attrs: Sequence[str] = ()) -> Entity:
    first, last = full.split()[0], full.split()[-1]
    forms = [full, f"{first[0]}. {last}", last] + list(extra)
    toks = [last.lower()] + [e.lower() for e in extra]
    if not shared_first:
        forms += [first, first, first.lower()]
        toks.insert(0, first.lower())
    slug = full.lower().replace(" ", "-")
    slug = unicodedata.normalize("NFKD", slug).encode("ascii", "ignore").decode()
    return Entity(slug, tuple(forms), tuple(dict.fromkeys(_ascii_too(toks))), tuple(attrs), slug)


def thing(forms: Sequence[str], attrs: Sequence[str], tokens: Sequence[str] = (), slug: str = "") -> Entity:
    toks = tuple(tokens) or tuple(dict.fromkeys(f.lower() for f in forms))
    ident = slug or re.sub(r"[^a-z0-9]+", "-", forms[0].lower()).strip("-")
    return Entity(ident, tuple(forms), toks, tuple(attrs), ident)


def _ascii_too(tokens: Sequence[str]) -> list[str]:
    out = []
    for t in tokens:
        out.append(t)
        plain = unicodedata.normalize("NFKD", t).encode("ascii", "ignore").decode()
        if plain != t:
            out.append(plain)
    return out


# Generic phrasings: every attribute can be stated with these; {A} is one of its labels.
G_STMT = (
    "{E} — {A}: {V}", "{A} ({E}): {V}", "- {E}: {A} {V}", "{E}'s {A} is {V}.", "The {A} for {E} is {V}.",
    "{V} is {E}'s {A}.", "{E} / {A} / {V}", "{E} | {A} | {V}", "re {E}: {A} = {V}", "{A} for {E}: {V}",
    "{E}: {V} ({A})", "{E} {A} {V}", "{A}, {E}: {V}", "* {A} of {E} → {V}", "{E} {A}={V}",
    "Note to self: {E}'s {A} is {V}", "{E}: {A} is {V}, per {src}.", "{A}: {V} ({E})",
)
G_RESTATE = (
    "Confirmed: {E}'s {A} is still {V}.", "{E} {A} still {V}", "Double-checked, {E} {A} = {V}.",
    "reminder - {E}'s {A}: {V}", "{E}'s {A} hasn't changed, still {V}.", "As noted before, {A} for {E} is {V}.",
    "checked again today: {E} -> {V} ({A})", "{V} (still) for {E}'s {A}", "{E}: confirmed {A} is {V}",
    "Again: {A} for {E} = {V}", "{src} says {E}'s {A} is {V}, same as before",
)
G_CHG = (
    "{E}'s {A} is now {V}.", "New {A} for {E}: {V}", "{A} for {E} switched to {V}.",
    "Heads-up: {E}'s {A} changed, it's {V} now.", "As of {D}, {E}'s {A} is {V}.", "{E} {A} changed -> {V}",
    "update: {E} {A} = {V}", "{E} has a new {A}: {V}.", "{E} — {A} updated to {V}", "Changed {E}'s {A} to {V} today",
    "{A} ({E}) is {V} from now on",
)
G_CHG_OLD = (
    "{E}'s {A} changed from {O} to {V}.", "{E}: {A} now {V} (was {O})", "UPDATE {E} {A}: {O} → {V}",
    "{E} {A} {O} -> {V}", "{A} for {E} is no longer {O}; it's {V} now.",
    "Correction: {E}'s {A} is {V}, not {O} anymore.", "{E} switched {A} from {O} to {V}",
    "{E} {A}: {V} (previously {O})", "{E} — {A} {O} replaced by {V}",
)
SOURCES = ("Slack", "the wiki", "email", "the spreadsheet", "standup", "the ticket", "a call", "the handover doc")
PREFIXES = ("Note: ", "FYI ", "fyi - ", "• ", "NB: ", "(from standup) ", "Per email: ", "Re: ", "** ", "Heads up — ",
            "Noted: ", "(call) ")
SUFFIXES = (" — confirmed", " (per email)", " iirc", " (double-checked)", " as of today", " per the spreadsheet",
            " ✔", " (told me in person)", " !!", " - via Slack", " (see thread)", " (pls remember)")


# --- the worlds -------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    name: str
    domain: str
    summary: str
    start: str  # ISO date of the first memory
    span: int  # days
    entities: tuple[Entity, ...]
    attrs: dict[str, Attr]
    path: Callable[[Entity, Attr, random.Random], str]
    keep: tuple[str, ...]
    keys: float = 0.0  # share of fact memories the agent gave a `key`
    chrono: bool = True  # store lines in time order (else grouped by path, as a memory dir exports)
    twins: tuple[tuple[str, str, str], ...] = ()  # look-alike pairs to include: (entity, entity, attribute)


def _team() -> World:
    attrs = {a.id: a for a in (
        Attr("office", ("office", "base", "home office", "location", "loc"),
             tuple(V(c, tokens=[c.lower()]) for c in ("Lisbon", "Toronto", "Nairobi", "Osaka", "Leeds", "Denver",
                                                      "Valencia", "Tallinn")) + (V("Kraków", "Krakow"),),
             stmt=("{E} is based in {V}.", "{E} works out of the {V} office", "{E} sits in {V}",
                   "{E} ({V} office)"),
             chg=("{E} relocated to {V}.", "{E} moved to the {V} office", "{E} is in {V} now"),
             chg_old=("{E} moved from {O} to {V}.", "{E} relocating {O} -> {V}", "{E} left {O}, now {V}")),
        Attr("ext", ("extension", "ext.", "phone ext", "desk phone", "ext"),
             tuple(V(f"{n}", f"x{n}", tokens=[str(n)]) for n in (3417, 3562, 4208, 4491, 5133, 5370, 6024, 6189,
                                                                   6655, 7102, 7348, 8216, 8473, 3905, 4736)),
             stmt=("call {E} on {V}", "{E} can be reached at ext {V}", "{E}'s desk line is {V}"),
             chg=("{E} got a new extension: {V}", "{E}'s number changed, use {V}"),
             chg_old=("{E}'s ext is {V} now (not {O})", "{E} no longer on {O}, dial {V}")),
        Attr("manager", ("manager", "mgr", "line manager", "reports to", "boss"),
             names("Marcus Oyelaran", "Grace Mwangi", "Pedro Alves", "Naomi Fischer", "Viktor Horvath",
                   "Farah Qureshi", "Desmond Achterberg"),
             stmt=("{E} reports to {V}.", "{V} is {E}'s manager", "{E} → {V} (manager)", "{E} sits under {V}"),
             chg=("{E} now reports to {V}.", "{E} moved under {V}", "reorg: {E} goes to {V}"),
             chg_old=("{E} reports to {V} now, not {O}", "{E} moved from {O}'s team to {V}'s")),
        Attr("editor", ("editor", "preferred editor", "IDE", "editor of choice", "tool"),
             (V("Neovim", "nvim", tokens=["neovim", "nvim"]), V("Emacs"), V("PyCharm"), V("VS Code", "VSCode",
                tokens=["vs code", "vscode"]), V("Zed editor", "Zed", tokens=["zed"]),
              V("Sublime Text", "Sublime", tokens=["sublime"]), V("Helix"), V("IntelliJ")),
             stmt=("{E} uses {V}.", "{E} prefers {V}", "{E} lives in {V}", "{E} codes in {V}"),
             chg=("{E} switched to {V}.", "{E} is trying {V} now", "{E} moved over to {V}"),
             chg_old=("{E} dropped {O} for {V}", "{E} switched from {O} to {V}"), kind="preference"),
        Attr("oncall", ("on-call day", "on call", "pager day", "rota day", "support day"), days(),
             stmt=("{E} is on call on {V}.", "{E} has the pager {V}", "{E} covers support on {V}"),
             chg=("{E} swapped to {V} for on-call", "{E}'s on-call moved to {V}"),
             chg_old=("{E} swapped on-call {O} for {V}", "{E}: pager {O} -> {V}")),
        Attr("team", ("team", "squad", "group"),
             tuple(V(t, tokens=[t.lower()]) for t in ("Payments", "Search", "Checkout", "Growth", "Identity",
                                                      "Data Infra", "Mobile Core")),
             stmt=("{E} is on the {V} team.", "{E} works on {V}", "{E} joined {V}"),
             chg=("{E} transferred to {V}.", "{E} moved to {V}"),
             chg_old=("{E} left {O} and joined {V}", "{E}: {O} -> {V} (team change)")),
    )}
    people = (
        person("Dana Okafor", "Dana O.", shared_first=True, attrs=("office", "ext", "manager", "editor", "oncall", "team")),
        person("Ravi Menon", attrs=("office", "ext", "manager", "editor", "oncall", "team")),
        person("Mei Tanaka", attrs=("office", "ext", "manager", "editor", "oncall")),
        person("Tomás Ruiz", attrs=("office", "ext", "manager", "editor", "team")),
        person("Sam Patel", "Sam P.", shared_first=True, attrs=("office", "ext", "manager", "editor", "oncall", "team")),
        person("Sam Whitfield", "Sam W.", "Whit", shared_first=True,
               attrs=("office", "ext", "manager", "editor", "oncall", "team")),
        person("Ingrid Holm", attrs=("office", "ext", "manager", "oncall", "team")),
        person("Kwame Asante", attrs=("office", "ext", "editor", "oncall", "team")),
        person("Priya Raman", attrs=("office", "ext", "manager", "editor", "oncall", "team")),
        person("Jonas Berglund", attrs=("office", "ext", "manager", "editor")),
        person("Lucía Fernández", attrs=("office", "ext", "manager", "oncall", "team")),
        person("Oleg Petrov", attrs=("office", "ext", "manager", "editor", "oncall", "team")),
        person("Alex Moreau", shared_first=True, attrs=("office", "ext", "manager", "editor", "oncall")),
        person("Alex Kimura", shared_first=True, attrs=("office", "ext", "manager", "editor", "oncall")),
        person("Hannah Weiss", attrs=("office", "ext", "manager", "editor", "team")),
        person("Bongani Zulu", attrs=("office", "ext", "editor", "oncall", "team")),
        person("Fatima Haddad", attrs=("office", "ext", "manager", "oncall", "team")),
        person("Dana Lindgren", shared_first=True, attrs=("office", "ext", "editor", "oncall", "team")),
        person("Emeka Nwosu", "Mek", attrs=("office", "ext", "manager", "editor", "team")),
    )

    def path(e: Entity, a: Attr, rng: random.Random) -> str:
        return f"/people/{e.slug}.md" if rng.random() < 0.85 else "/team/notes.md"

    keep = (
        "Team offsite went well — people liked the hike more than the workshop.",
        "Retro action item: write down the deploy freeze rules before December.",
        "The coffee machine on 3rd floor is broken again, facilities ticket filed.",
        "Dana mentioned she's training for a half marathon.",
        "Q3 planning doc lives in the shared drive under Planning/2026.",
        "Ravi gave a great lunch-and-learn on property-based testing.",
        "New hire onboarding checklist: laptop, badge, Slack, VPN, 1:1 with buddy.",
        "Quarterly all-hands moved online this time because of the storm.",
        "Holiday party — vote closes Friday, options are bowling or karaoke.",
        "Reminder that expense reports need receipts attached.",
        "Mei and Oleg paired on the flaky login test; root cause was a timezone bug.",
        "Hiring: two backend roles open, one frontend role paused.",
        "Security training is mandatory for everyone this quarter.",
        "The standup bot posts at 9:45 local time.",
    )
    return World("team-directory", "team", "an assistant keeping notes on a team of colleagues: offices, extensions, "
                 "managers, editors, on-call days and teams, changing through reorgs and moves",
                 "2026-03-02", 190, people, attrs, path, keep, keys=0.0, chrono=False,
                 twins=(("sam-patel", "sam-whitfield", "office"), ("alex-moreau", "alex-kimura", "oncall")))


def _household() -> World:
    attrs = {a.id: a for a in (
        Attr("teacher", ("teacher", "class teacher", "form tutor", "homeroom teacher"),
             titled("Mrs Abernathy", "Mr Castellano", "Ms Ferreira", "Mr Lindqvist", "Mrs Okonjo"),
             stmt=("{E}'s teacher is {V}.", "{E} is in {V}'s class", "{E} has {V} this year"),
             chg=("{E} moved to {V}'s class", "{E} got switched to {V}"),
             chg_old=("{E} moved from {O}'s class to {V}'s", "{E}: teacher {O} -> {V}")),
        Attr("swim", ("swim lesson", "swimming", "swim class", "pool day"), days(),
             stmt=("{E} has swimming on {V}", "{E} swims {V}", "{E}'s swim class: {V} after school"),
             chg=("{E}'s swimming moved to {V}", "swim for {E} is {V} now"),
             chg_old=("{E}'s swim lesson moved from {O} to {V}",)),
        Attr("shoe", ("shoe size", "shoes", "size (shoes)"),
             tuple(V(f"EU {n}", f"size {n}", tokens=[f"eu {n}", f"size {n}"]) for n in (28, 29, 30, 31, 32, 33, 34)),
             stmt=("{E} wears {V}", "{E} is a {V} in shoes", "buy {E} shoes in {V}"),
             chg=("{E} went up to {V}", "{E} needs {V} now"), chg_old=("{E} outgrew {O}, now {V}",)),
        Attr("bedtime", ("bedtime", "lights out", "bed time"),
             tuple(V(t, tokens=[t.lower()]) for t in ("7:15pm", "7:30pm", "7:45pm", "8:00pm", "8:15pm", "8:30pm")),
             stmt=("{E} goes to bed at {V}", "{E} — lights out {V}", "{E} bed by {V}"),
             chg=("{E}'s bedtime pushed to {V}", "{E} can stay up till {V} now"),
             chg_old=("{E}'s bedtime moved from {O} to {V}",)),
        Attr("gym", ("gym day", "gym", "workout day", "climbing night"), days(),
             stmt=("{E} goes to the gym on {V}", "{E} trains {V}", "{E} is out {V} evenings (gym)"),
             chg=("{E} switched gym to {V}",), chg_old=("{E} moved gym from {O} to {V}",)),
        Attr("doctor", ("GP", "doctor", "family doctor", "physician"),
             titled("Dr Harrington", "Dr Mbeki", "Dr Sorensen", "Dr Valdivia", "Dr Quimby"),
             stmt=("{E} sees {V}", "{E}'s GP is {V}.", "{E} is registered with {V}"),
             chg=("{E} changed GP to {V}", "{E} is with {V} now"), chg_old=("{E} left {O}, now sees {V}",)),
        Attr("vet", ("vet", "vet clinic", "veterinarian"),
             tuple(V(v, tokens=[v.split()[0].lower()]) for v in (
                 "Riverside Vets", "Oakfield Animal Clinic", "Paws & Claws", "Greenway Veterinary")),
             stmt=("{E} goes to {V}", "{E}'s vet: {V}", "{E} is registered at {V}"),
             chg=("moved {E} to {V}", "{E} now at {V}"), chg_old=("{E} switched vets, {O} -> {V}",)),
        Attr("food", ("food", "kibble", "diet", "dinner brand"),
             tuple(V(f, tokens=[f.lower()]) for f in ("Royal Canin", "Hills Science", "Lily's Kitchen", "Purina One",
                                                      "Orijen", "Acana")),
             stmt=("{E} eats {V}", "{E} is fed {V}", "{E} only likes {V}"),
             chg=("switched {E} to {V}", "{E} on {V} now"), chg_old=("{E} off {O}, eating {V} instead",),
             kind="preference"),
        Attr("walker", ("dog walker", "walker", "sitter"),
             names("Beatrix Hollow", "Connor Flynn", "Yasmin Toure", "Gideon Pryce"),
             stmt=("{E} is walked by {V}", "{V} walks {E} on weekdays"),
             chg=("new walker for {E}: {V}",), chg_old=("{E}'s walker changed from {O} to {V}",)),
        Attr("due", ("due date", "next service", "renewal", "due"), dates((4, 6, 8, 9, 10, 11)),
             stmt=("{E} is due on {V}", "{E} — next one {V}", "{E} due {V}"),
             chg=("{E} rebooked for {V}", "{E} pushed to {V}"), chg_old=("{E} moved from {O} to {V}",)),
        Attr("collect", ("collection day", "pickup day", "bin day"), days(),
             stmt=("{E} go out on {V}", "{E} collected {V} mornings", "put {E} out {V} night before"),
             chg=("{E} collection changed to {V}",), chg_old=("{E} now {V}, not {O}",)),
        Attr("club", ("after-school club", "club", "activity", "extracurricular"),
             tuple(V(c, tokens=[c.lower()]) for c in ("Chess club", "Drama", "Coding club", "Football", "Gymnastics",
                                                      "Choir")),
             stmt=("{E} does {V} after school", "{E} goes to {V}", "{E} signed up for {V}"),
             chg=("{E} swapped to {V}", "{E} is doing {V} this term"), chg_old=("{E} dropped {O}, does {V} now",)),
        Attr("visit", ("visit day", "comes on", "day", "usual day"), days(),
             stmt=("{E} comes on {V}", "{E} is here {V} mornings", "{E} every {V}"),
             chg=("{E} switched to {V}", "{E} coming {V} from now"), chg_old=("{E} moved from {O} to {V}",)),
        Attr("provider", ("provider", "company", "supplier"),
             tuple(V(p, tokens=[p.lower()]) for p in ("Octopus", "EDF", "Ovo", "Bulb", "Zen Internet", "Hyperoptic",
                                                      "Vodafone")),
             stmt=("{E} is with {V}", "{E} supplied by {V}", "we get {E} from {V}"),
             chg=("switched {E} to {V}",), chg_old=("{E} moved from {O} to {V}",)),
    )}
    ents = (
        thing(("Maya", "maya", "our Maya"), ("teacher", "swim", "shoe", "bedtime", "doctor", "club"), tokens=("maya",)),
        thing(("Leo", "leo", "little Leo"), ("teacher", "swim", "shoe", "bedtime", "doctor", "club"), tokens=("leo",)),
        thing(("Ava", "ava"), ("teacher", "swim", "shoe", "bedtime", "club"), tokens=("ava",)),
        thing(("Chris", "chris", "Christopher"), ("gym", "doctor"), tokens=("chris",)),
        thing(("Jordan", "jordan", "Jordan (me)"), ("gym", "doctor"), tokens=("jordan",)),
        thing(("Grandma Ruth", "Ruth", "Nana Ruth"), ("doctor", "visit"), tokens=("ruth",)),
        thing(("Grandpa Walt", "Walt", "Grandpa"), ("doctor", "gym"), tokens=("walt", "grandpa")),
        thing(("Nibbles", "nibbles", "the hamster"), ("vet", "food"), tokens=("nibbles", "hamster")),
        thing(("Marta", "Marta (cleaner)", "marta"), ("visit",), tokens=("marta",)),
        thing(("Window cleaner", "the window guy", "window cleaning"), ("visit",), tokens=("window",)),
        thing(("Gardener", "the gardener", "Pete the gardener"), ("visit",), tokens=("gardener",)),
        thing(("Car tax", "car tax", "road tax (car)"), ("due",), tokens=("car tax", "tax (car)")),
        thing(("TV licence", "tv license", "TV licence renewal"), ("due",), tokens=("tv licen",)),
        thing(("Gas", "gas supply", "the gas"), ("provider",), tokens=("gas",)),
        thing(("Biscuit", "biscuit", "the dog"), ("vet", "food", "walker"), tokens=("biscuit", "the dog")),
        thing(("Pepper", "pepper", "the cat"), ("vet", "food"), tokens=("pepper", "the cat")),
        thing(("Mango", "mango", "the rabbit"), ("vet", "food"), tokens=("mango", "the rabbit")),
        thing(("Boiler service", "boiler", "the boiler"), ("due",), tokens=("boiler",)),
        thing(("Car insurance", "car insurance", "insurance (car)"), ("due", "provider"), tokens=("car insurance",
              "insurance (car)")),
        thing(("Home insurance", "home insurance", "house insurance"), ("due", "provider"), tokens=("home insurance",
              "house insurance")),
        thing(("MOT", "the MOT", "mot"), ("due",), tokens=("mot",)),
        thing(("Recycling", "recycling", "blue bins"), ("collect",), tokens=("recycling", "blue bins")),
        thing(("General waste", "black bin", "rubbish"), ("collect",), tokens=("general waste", "black bin",
              "rubbish")),
        thing(("Garden waste", "green bin", "garden bin"), ("collect",), tokens=("garden waste", "green bin",
              "garden bin")),
        thing(("Electricity", "electric", "power"), ("provider",), tokens=("electric", "power")),
        thing(("Broadband", "home wifi", "the broadband"), ("provider",), tokens=("broadband", "wifi")),
        thing(("Mobile plan", "phone contract", "mobile contract"), ("provider", "due"), tokens=("mobile plan",
              "phone contract", "mobile contract")),
        thing(("Dentist checkup", "dentist", "dental checkup"), ("due",), tokens=("dentist", "dental")),
        thing(("Chimney sweep", "chimney", "sweep"), ("due",), tokens=("chimney", "sweep")),
        thing(("Passport renewal", "passports", "passport"), ("due",), tokens=("passport",)),
    )

    def path(e: Entity, a: Attr, rng: random.Random) -> str:
        return "/household.md" if rng.random() < 0.8 else "/notes.md"

    keep = (
        "Leo lost a tooth at school today, tooth fairy owes him a coin.",
        "Jordan's parents visiting the weekend of the 20th — make up the spare room.",
        "The dishwasher makes a grinding noise on the eco cycle.",
        "Maya wants a dinosaur cake for her birthday.",
        "Spare house key is with the neighbours at number 12.",
        "Chris is allergic to penicillin.",
        "The garage door remote needs a new CR2032 battery.",
        "Family rule: no screens at the dinner table.",
        "Ava's favourite stuffed toy is called Mr Buttons.",
        "Biscuit hates thunderstorms; close the curtains and put the radio on.",
        "Summer holiday idea: camping in the Lake District.",
        "The smoke alarm in the hallway chirps when the battery is low.",
        "Recipe that worked: lentil soup with smoked paprika, kids ate it.",
    )
    return World("household", "household", "a family assistant tracking kids' schedules, pets, bills and chores "
                 "in one household notes file", "2026-05-11", 150, ents, attrs, path, keep, keys=0.0,
                 twins=(("recycling", "general-waste", "collect"), ("car-insurance", "home-insurance", "due")))


def _accounts() -> World:
    attrs = {a.id: a for a in (
        Attr("plan", ("plan", "tier", "subscription", "plan tier", "package"),
             tuple(V(p, f"{p} plan", f"{p} tier", tokens=[p.lower()]) for p in ("Starter", "Growth", "Scale",
                                                                                "Enterprise", "Nonprofit")),
             stmt=("{E} is on {V}.", "{E} pays for {V}", "{E} subscribed to {V}", "{E} — currently {V}"),
             chg=("{E} upgraded to {V}.", "{E} downgraded to {V}", "{E} moved to {V} at renewal"),
             chg_old=("{E} went from {O} to {V}", "{E} upgraded {O} → {V}")),
        Attr("am", ("account manager", "AM", "owner", "CSM", "account owner"),
             names("Rosalind Mercer", "Tobias Engel", "Anouk Visser", "Kenji Watanabe", "Siobhan Daly",
                   "Mateus Rocha"),
             stmt=("{V} owns {E}.", "{E} is managed by {V}", "{E} belongs to {V}'s book"),
             chg=("{E} reassigned to {V}", "{V} took over {E}"),
             chg_old=("{E} handed from {O} to {V}", "{E}: AM {O} -> {V}")),
        Attr("contact", ("billing contact", "invoices to", "billing", "AP contact"),
             tuple(V(n, tokens=[n.lower()]) for n in ("Gwen Thackeray", "Luis Aranda", "Petra Novak", "Omar Siddiqui",
                   "Carla Bianchi", "Noor Rahman", "Felix Brandt", "Imogen Hale", "Wei Zhang", "Ruth Abebe")),
             stmt=("send {E}'s invoices to {V}", "{V} handles billing at {E}", "{E} billing goes to {V}"),
             chg=("new billing contact at {E}: {V}", "{E} billing now {V}"),
             chg_old=("{E} billing contact changed from {O} to {V}", "{O} left {E}; invoices to {V} now")),
        Attr("renewal", ("renewal", "renewal date", "contract end", "renews"), dates((7, 8, 9, 10, 11, 12)),
             stmt=("{E} renews on {V}", "{E} contract ends {V}", "{E} up for renewal {V}"),
             chg=("{E} renewal moved to {V}", "{E} signed an extension to {V}"),
             chg_old=("{E} renewal pushed from {O} to {V}",)),
        Attr("seats", ("seats", "licences", "seat count", "users"),
             tuple(V(f"{n} seats", f"{n} licences", tokens=[f"{n} seats", f"{n} licences"]) for n in
                   (12, 25, 48, 55, 80, 120, 150, 236, 300)),
             stmt=("{E} has {V}", "{E} pays for {V}", "{E} bought {V}"),
             chg=("{E} expanded to {V}", "{E} cut back to {V}", "{E} now at {V}"),
             chg_old=("{E} went from {O} to {V}",)),
        Attr("region", ("data region", "region", "hosting region", "residency"),
             tuple(V(r, tokens=[r.lower()]) for r in ("Frankfurt", "Dublin", "Virginia", "Oregon", "Singapore",
                                                      "Sydney", "São Paulo")),
             stmt=("{E}'s data lives in {V}", "{E} hosted in {V}", "{E} pinned to {V} region"),
             chg=("{E} migrated to {V}",), chg_old=("{E} moved data from {O} to {V}",)),
    )}
    all6 = ("plan", "am", "contact", "renewal", "seats", "region")
    ents = (
        thing(("Northwind Traders", "Northwind", "NWT", "ACC-1042"), all6, tokens=("northwind", "nwt", "acc-1042")),
        thing(("Globex Corporation", "Globex", "ACC-1107"), all6, tokens=("globex", "acc-1107")),
        thing(("Initech", "initech", "ACC-1133"), all6, tokens=("initech", "acc-1133")),
        thing(("Umbrella Health", "Umbrella", "ACC-1158"), all6, tokens=("umbrella", "acc-1158")),
        thing(("Acme Logistics", "Acme Logistics Ltd", "ACC-1174"), all6, tokens=("acme logistics", "acc-1174")),
        thing(("Acme Foods", "Acme Foods Inc.", "ACC-1190"), all6, tokens=("acme foods", "acc-1190")),
        thing(("Blue Harbor Dental", "Blue Harbor", "ACC-1215"), all6, tokens=("blue harbor", "acc-1215")),
        thing(("Harbor & Finch", "Harbor and Finch", "H&F", "ACC-1237"), ("plan", "am", "contact", "renewal"),
              tokens=("harbor & finch", "harbor and finch", "h&f", "acc-1237")),
        thing(("Stark Interiors", "Stark", "ACC-1259"), all6, tokens=("stark", "acc-1259")),
        thing(("Wonka Confectionery", "Wonka", "ACC-1283"), ("plan", "am", "renewal", "seats"),
              tokens=("wonka", "acc-1283")),
        thing(("Tyrell Biotech", "Tyrell", "ACC-1301"), all6, tokens=("tyrell", "acc-1301")),
        thing(("Cyberdyne Robotics", "Cyberdyne", "ACC-1322"), ("plan", "am", "contact", "seats", "region"),
              tokens=("cyberdyne", "acc-1322")),
        thing(("Soylent Farms", "Soylent", "ACC-1347"), ("plan", "am", "renewal", "seats"),
              tokens=("soylent", "acc-1347")),
        thing(("Massive Dynamic", "MassDyn", "ACC-1360"), all6, tokens=("massive dynamic", "massdyn", "acc-1360")),
        thing(("Pied Piper", "PiedPiper", "ACC-1388"), ("plan", "am", "contact", "seats"),
              tokens=("pied piper", "piedpiper", "acc-1388")),
        thing(("Hooli", "hooli", "ACC-1402"), ("plan", "am", "renewal", "region"), tokens=("hooli", "acc-1402")),
        thing(("Dunder Mifflin", "Dunder", "DM Paper", "ACC-1447"), all6, tokens=("dunder", "dm paper", "acc-1447")),
        thing(("Oscorp", "oscorp", "ACC-1469"), ("plan", "am", "contact", "renewal", "seats"),
              tokens=("oscorp", "acc-1469")),
        thing(("Gringotts Bank", "Gringotts", "ACC-1490"), all6, tokens=("gringotts", "acc-1490")),
        thing(("Vandelay Imports", "Vandelay", "ACC-1427"), ("plan", "am", "contact", "renewal", "seats"),
              tokens=("vandelay", "acc-1427")),
    )
    topic = {"plan": "/accounts/plans.md", "seats": "/accounts/plans.md", "am": "/accounts/owners.md",
             "contact": "/accounts/contacts.md", "renewal": "/accounts/renewals.md", "region": "/accounts/hosting.md"}

    def path(e: Entity, a: Attr, rng: random.Random) -> str:
        return topic[a.id] if rng.random() < 0.8 else "/crm/log.md"

    keep = (
        "Globex asked for a SOC 2 report; sent the 2026 bridge letter.",
        "Quarterly business review template updated with the new NPS slide.",
        "Initech complained about slow exports in June; fixed in release 4.18.",
        "Churn risk list is reviewed every second Thursday.",
        "Northwind's CFO prefers calls over email.",
        "Discount policy: anything over 20% needs VP approval.",
        "Tyrell is piloting the new audit log feature.",
        "Customer advisory board dinner in October, 14 RSVPs so far.",
        "Invoices go out on the 1st; dunning starts after 15 days.",
        "Hooli legal redlined the DPA again — third round.",
        "Acme Foods mentioned they might acquire a smaller competitor.",
        "Case study with Blue Harbor Dental published on the blog.",
        "Support SLA for priority tickets is 4 business hours.",
    )
    return World("customer-accounts", "crm", "an account-management agent's notes on customer accounts: plans, owners, "
                 "billing contacts, renewals, seats and data regions, filed by topic", "2026-04-06", 200, ents, attrs,
                 path, keep, keys=0.25,
                 twins=(("acme-logistics", "acme-foods", "plan"), ("blue-harbor-dental", "harbor-finch", "am")))


def _fleet() -> World:
    attrs = {a.id: a for a in (
        Attr("os", ("OS", "os version", "distro", "base image"),
             (V("Ubuntu 22.04", "jammy (22.04)", tokens=["22.04"]), V("Ubuntu 24.04", "noble (24.04)", tokens=["24.04"]),
              V("Debian 12", "bookworm", tokens=["debian 12", "bookworm"]), V("Rocky Linux 9", "Rocky 9",
                tokens=["rocky"]), V("Amazon Linux 2023", "AL2023", tokens=["amazon linux", "al2023"])),
             stmt=("{E} runs {V}", "{E} is on {V}", "{E} built on {V}"),
             chg=("upgraded {E} to {V}", "{E} reimaged with {V}"),
             chg_old=("{E} upgraded {O} → {V}", "{E} moved off {O} onto {V}")),
        Attr("owner", ("owner", "owning team", "owned by", "team"),
             tuple(V(t, f"team-{t.lower()}", tokens=[t.lower()]) for t in ("Payments", "Platform", "Observability",
                                                                          "Discovery", "Storage", "Identity")),
             stmt=("{E} belongs to {V}", "{V} owns {E}", "{E} is a {V} box"),
             chg=("{E} handed over to {V}", "ownership of {E} -> {V}"),
             chg_old=("{E} moved from {O} to {V} ownership",)),
        Attr("dc", ("region", "datacenter", "DC", "zone"),
             tuple(V(z, tokens=[z]) for z in ("fra1", "ams3", "nyc2", "sfo3", "sgp1", "lon1", "tor1")),
             stmt=("{E} lives in {V}", "{E} is in {V}", "{E} deployed to {V}"),
             chg=("migrated {E} to {V}", "{E} now in {V}"), chg_old=("{E} moved {O} -> {V}",)),
        Attr("status", ("status", "state", "health"),
             (V("draining"), V("in maintenance", "under maintenance", tokens=["maintenance"]),
              V("decommissioned", "decom'd", tokens=["decommission", "decom'd"]), V("serving traffic",
                tokens=["serving traffic"]), V("on standby", "standby", tokens=["standby"]),
              V("quarantined", tokens=["quarantine"])),
             stmt=("{E} is {V}", "{E} currently {V}", "{E}: {V}"),
             chg=("{E} is {V} now", "put {E} {V}", "{E} went {V}"),
             chg_old=("{E} no longer {O}, now {V}", "{E} {O} -> {V}")),
        Attr("runtime", ("runtime", "python", "interpreter", "language runtime"),
             (V("Python 3.10", "py3.10", tokens=["3.10"]), V("Python 3.11", "py3.11", tokens=["3.11"]),
              V("Python 3.12", "py3.12", tokens=["3.12"]), V("Python 3.13", "py3.13", tokens=["3.13"])),
             stmt=("{E} runs on {V}", "{E} uses {V}", "{E} pinned to {V}"),
             chg=("bumped {E} to {V}", "{E} upgraded to {V}"), chg_old=("{E} {O} -> {V} bump",)),
        Attr("backup", ("backup window", "backup day", "snapshot day", "patch night"), days(),
             stmt=("{E} backs up on {V}", "{E} snapshots {V} 02:00 UTC", "{E} patch night is {V}"),
             chg=("{E} backup moved to {V}",), chg_old=("{E} backups {O} -> {V}",)),
    )}
    host = ("os", "owner", "dc", "status", "backup")
    svc = ("owner", "dc", "status", "runtime")
    ents = (
        thing(("web-01", "web01", "web 01"), host, tokens=("web-01", "web01", "web 01")),
        thing(("web-02", "web02", "web 02"), host, tokens=("web-02", "web02", "web 02")),
        thing(("web-03", "web03"), host, tokens=("web-03", "web03")),
        thing(("db-primary", "the primary db", "db-prod-1"), host, tokens=("db-primary", "primary db", "db-prod-1")),
        thing(("db-replica", "the read replica", "db-prod-2"), host, tokens=("db-replica", "read replica",
              "db-prod-2")),
        thing(("cache-01", "redis cache box", "cache01"), host, tokens=("cache-01", "redis cache box", "cache01")),
        thing(("ci-runner-3", "runner 3", "ci3"), host, tokens=("ci-runner-3", "runner 3", "ci3")),
        thing(("ci-runner-4", "runner 4", "ci4"), host, tokens=("ci-runner-4", "runner 4", "ci4")),
        thing(("kafka-b2", "broker 2", "kafka broker 2"), host, tokens=("kafka-b2", "broker 2")),
        thing(("bastion", "the jump host", "bastion-1"), ("os", "owner", "dc"), tokens=("bastion", "jump host")),
        thing(("billing-api", "billing api", "billing service"), svc, tokens=("billing-api", "billing api",
              "billing service")),
        thing(("search-api", "search api", "the search service"), svc, tokens=("search-api", "search api",
              "search service")),
        thing(("auth-service", "authsvc", "the auth service"), svc, tokens=("auth-service", "authsvc", "auth service")),
        thing(("notifier", "notification worker", "notif-worker"), svc, tokens=("notifier", "notification worker",
              "notif-worker")),
        thing(("report-builder", "reports job", "the report builder"), svc, tokens=("report-builder", "reports job",
              "report builder")),
        thing(("ledger-sync", "ledger sync job", "ledgersync"), svc, tokens=("ledger-sync", "ledger sync",
              "ledgersync")),
        thing(("image-resizer", "thumbnailer", "img-resize"), svc, tokens=("image-resizer", "thumbnailer",
              "img-resize")),
        thing(("feature-flags", "flag service", "ff-svc"), svc, tokens=("feature-flags", "flag service", "ff-svc")),
        thing(("pdf-render", "pdf renderer", "pdfsvc"), svc, tokens=("pdf-render", "pdf renderer", "pdfsvc")),
        thing(("email-relay", "smtp relay", "mail relay"), svc, tokens=("email-relay", "smtp relay", "mail relay")),
        thing(("web-04", "web04"), host, tokens=("web-04", "web04")),
        thing(("geo-lookup", "geoip service", "geo lookup"), svc, tokens=("geo-lookup", "geoip", "geo lookup")),
    )

    def path(e: Entity, a: Attr, rng: random.Random) -> str:
        return "/infra/fleet.md"

    keep = (
        "Incident 2026-07-14: 40 minutes of 502s, root cause an expired intermediate certificate.",
        "Runbook: restart a stuck consumer with `systemctl restart consumer@orders`.",
        "Grafana dashboard for latency is under Infra / API / p99.",
        "Never run `terraform apply` on prod from a laptop; use the pipeline.",
        "Load test on 2026-08-02 peaked at 12k rps before the DB saturated.",
        "Postmortem template lives in the eng handbook, section 7.",
        "The staging cluster gets wiped every Sunday night.",
        "Pager escalation: primary after 5 minutes, secondary after 15.",
        "DNS TTLs were lowered to 60s ahead of the migration.",
        "Cost review: egress is 31% of the cloud bill this quarter.",
        "Disk alert threshold is 85% on all hosts.",
        "Log retention is 30 days hot, 1 year cold.",
    )
    return World("server-fleet", "infra", "an SRE agent's running notes on hosts and services: OS, owners, regions, "
                 "status, runtimes and backup windows, all in one fleet file", "2026-06-01", 120, ents, attrs, path,
                 keep, keys=0.1, twins=(("web-01", "web-02", "os"), ("ci-runner-3", "ci-runner-4", "status")))


def _lab() -> World:
    attrs = {a.id: a for a in (
        Attr("room", ("room", "location", "lives in", "bench"),
             tuple(V(r, f"room {r}", tokens=[r.lower()]) for r in ("B2.14", "B2.17", "C1.05", "C3.22", "A0.08"))
             + (V("Annex 4", "the annex (4)", tokens=["annex"]),
                V("Cold room 2", "cold rm 2", tokens=["cold room 2", "cold rm 2"])),
             stmt=("{E} is in {V}", "{E} sits in {V}", "find {E} in {V}"),
             chg=("{E} moved to {V}", "{E} relocated to {V}"), chg_old=("{E} moved from {O} to {V}",)),
        Attr("resp", ("responsible", "owner", "contact person", "superuser", "custodian"),
             titled("Dr Adaeze Osei", "Lena Vogt", "Tariq Hussain", "Camille Dubois", "Soren Madsen", "Yaw Boateng"),
             stmt=("{V} looks after {E}", "{E}: ask {V}", "{V} is the superuser for {E}"),
             chg=("{V} is taking over {E}", "{E} now under {V}"),
             chg_old=("{E} handed from {O} to {V}", "{O} left, {V} owns {E}")),
        Attr("cal", ("calibration due", "next calibration", "cal due", "service due"), dates((7, 8, 9, 10, 11)),
             stmt=("{E} needs calibrating by {V}", "{E} cal due {V}", "{E} calibration expires {V}"),
             chg=("{E} calibration rebooked for {V}", "{E} calibrated, next due {V}"),
             chg_old=("{E} calibration moved from {O} to {V}",)),
        Attr("state", ("status", "state", "condition"),
             (V("out of order", "broken", tokens=["out of order", "broken"]), V("working fine", "working",
                tokens=["working"]), V("awaiting parts", tokens=["awaiting parts"]), V("being serviced",
                tokens=["being serviced"]), V("restricted use", tokens=["restricted use"])),
             stmt=("{E} is {V}", "{E} — {V}", "{E} currently {V}"),
             chg=("{E} is {V} now", "{E} back to {V}", "{E} now {V}"), chg_old=("{E} went from {O} to {V}",)),
        Attr("fw", ("firmware", "software version", "fw", "control software"),
             tuple(V(f"v{x}", f"version {x}", tokens=[x]) for x in ("2.4.1", "2.6.0", "3.0.2", "3.1.7", "4.0.0",
                                                                    "1.9.3")),
             stmt=("{E} runs {V}", "{E} on {V}", "{E} software {V}"),
             chg=("{E} updated to {V}", "{E} flashed to {V}"), chg_old=("{E} upgraded {O} -> {V}",)),
        Attr("booking", ("booking day", "booked on", "slot", "reserved day"), days(),
             stmt=("our group has {E} on {V}", "{E} is ours every {V}", "{E} booking: {V}"),
             chg=("{E} slot moved to {V}",), chg_old=("{E} booking changed from {O} to {V}",)),
    )}
    six = ("room", "resp", "cal", "state", "fw", "booking")
    ents = (
        thing(("HPLC-2", "the HPLC", "Agilent 1260"), six, tokens=("hplc-2", "the hplc", "agilent 1260")),
        thing(("HPLC-3", "the new HPLC", "Agilent 1290"), six, tokens=("hplc-3", "new hplc", "agilent 1290")),
        thing(("Confocal", "the confocal", "Zeiss LSM 880"), six, tokens=("confocal", "lsm 880")),
        thing(("qPCR", "the qPCR machine", "QuantStudio 5"), six, tokens=("qpcr", "quantstudio")),
        thing(("-80 freezer A", "Freezer A", "ULT-A"), ("room", "resp", "state"), tokens=("freezer a", "ult-a")),
        thing(("-80 freezer B", "Freezer B", "ULT-B"), ("room", "resp", "state"), tokens=("freezer b", "ult-b")),
        thing(("Centrifuge 1", "big centrifuge", "Avanti"), ("room", "resp", "cal", "state"),
              tokens=("centrifuge 1", "big centrifuge", "avanti")),
        thing(("Centrifuge 2", "benchtop centrifuge", "Eppendorf 5424"), ("room", "resp", "cal", "state"),
              tokens=("centrifuge 2", "benchtop centrifuge", "eppendorf")),
        thing(("Plate reader", "the plate reader", "CLARIOstar"), six, tokens=("plate reader", "clariostar")),
        thing(("Orbitrap", "the mass spec", "Orbitrap Exploris"), six, tokens=("orbitrap", "mass spec")),
        thing(("Fortessa", "the flow cytometer", "LSR Fortessa"), six, tokens=("fortessa", "flow cytometer")),
        thing(("Nanodrop", "the nanodrop", "ND-1000"), ("room", "resp", "state", "cal"),
              tokens=("nanodrop", "nd-1000")),
        thing(("Autoclave", "the autoclave"), ("room", "resp", "state", "cal", "booking"), tokens=("autoclave",)),
        thing(("Glovebox", "anaerobic chamber", "the glovebox"), ("room", "resp", "state", "booking"),
              tokens=("glovebox", "anaerobic chamber")),
        thing(("Cryostat", "the cryostat", "Leica CM1950"), ("room", "resp", "cal", "state", "booking"),
              tokens=("cryostat", "cm1950")),
        thing(("Incubator 1", "the CO2 incubator", "Heracell 1"), ("room", "resp", "state", "cal"),
              tokens=("incubator 1", "co2 incubator", "heracell 1")),
        thing(("Incubator 2", "the shaking incubator", "Innova 2"), ("room", "resp", "state", "cal"),
              tokens=("incubator 2", "shaking incubator", "innova 2")),
        thing(("Sonicator", "the sonicator", "Bioruptor"), ("room", "resp", "state", "booking"),
              tokens=("sonicator", "bioruptor")),
        thing(("Gel imager", "the gel doc", "ChemiDoc"), ("room", "resp", "fw", "state"),
              tokens=("gel imager", "gel doc", "chemidoc")),
    )

    def path(e: Entity, a: Attr, rng: random.Random) -> str:
        return f"/instruments/{e.slug}.md" if rng.random() < 0.7 else "/lab/logbook.md"

    keep = (
        "Lab meeting moved to the seminar room while B2 is painted.",
        "Liquid nitrogen delivery is every other Tuesday morning.",
        "Reminder: log every sample in the LIMS before it goes in a freezer.",
        "Safety inspection passed with two minor notes about labelling.",
        "New PhD student starts next month; needs induction and card access.",
        "Order more 1.5 ml tubes — we're down to two boxes.",
        "Journal club paper this week: CRISPR base editing off-targets.",
        "The fume hood alarm was a false trigger, facilities checked it.",
        "Grant report due to the funder at the end of the quarter.",
        "Pipette calibration is done by an external company each spring.",
        "Waste solvent pickup: call estates, ext is on the door sign.",
        "Seminar speaker from ETH on single-cell proteomics, Thursday 4pm.",
    )
    return World("lab-instruments", "lab", "a lab manager's agent tracking instruments: rooms, custodians, calibration "
                 "due dates, status, firmware and booking days, one file per instrument plus a logbook",
                 "2026-07-06", 110, ents, attrs, path, keep, keys=0.0, chrono=False,
                 twins=(("80-freezer-a", "80-freezer-b", "room"), ("hplc-2", "hplc-3", "fw"),
                        ("incubator-1", "incubator-2", "state")))


def _projects() -> World:
    attrs = {a.id: a for a in (
        Attr("lead", ("lead", "PM", "owner", "DRI", "project lead"),
             names("Beatriz Almeida", "Cormac Byrne", "Ilse Vermeulen", "Nikhil Rao", "Svetlana Ivanova",
                   "Theo Papadakis", "Zainab Bello"),
             stmt=("{V} leads {E}", "{E} is run by {V}", "{V} is DRI for {E}"),
             chg=("{V} took over {E}", "{E} handed to {V}"),
             chg_old=("{E} lead changed from {O} to {V}", "{O} rolled off {E}; {V} leads now")),
        Attr("due", ("due date", "deadline", "ship date", "target date", "ETA"), dates((8, 9, 10, 11, 12)),
             stmt=("{E} is due {V}", "{E} ships {V}", "{E} targeting {V}"),
             chg=("{E} slipped to {V}", "{E} deadline moved to {V}", "{E} pulled in to {V}"),
             chg_old=("{E} slipped from {O} to {V}", "{E} date {O} -> {V}")),
        Attr("status", ("status", "state", "health", "RAG"),
             (V("on schedule", "green", tokens=["on schedule", "green"]), V("at risk", "amber", tokens=["at risk", "amber"]),
              V("blocked"), V("paused", "on hold", tokens=["paused", "on hold"]), V("shipped", "done (shipped)",
                tokens=["shipped"])),
             stmt=("{E} is {V}", "{E} — {V}", "{E} looking {V}"),
             chg=("{E} went {V}", "{E} is {V} now", "{E} flipped to {V}"), chg_old=("{E} moved from {O} to {V}",)),
        Attr("tracker", ("tracker", "board", "issue tracker", "tool"),
             (V("Jira"), V("Linear"), V("Asana"), V("Trello"), V("GitHub Projects", "GH projects",
                tokens=["github projects", "gh projects"]), V("Notion board", "Notion", tokens=["notion"])),
             stmt=("{E} tracked in {V}", "{E} tickets live in {V}", "{E} uses {V}"),
             chg=("{E} moved its board to {V}", "{E} migrated to {V}"), chg_old=("{E} moved from {O} to {V}",),
             kind="preference"),
        Attr("budget", ("budget code", "cost centre", "cost center", "charge code"),
             tuple(V(c, tokens=[c.lower()]) for c in ("CC-4410", "CC-4475", "CC-5102", "CC-5188", "CC-6021",
                                                      "CC-6390", "CC-7214")),
             stmt=("charge {E} to {V}", "{E} bills against {V}", "{E} time goes on {V}"),
             chg=("{E} now charged to {V}",), chg_old=("{E} cost centre {O} -> {V}",)),
        Attr("review", ("review day", "demo day", "sprint review", "check-in"), days(),
             stmt=("{E} demos on {V}", "{E} review every {V}", "{E} check-in {V}s"),
             chg=("{E} review moved to {V}",), chg_old=("{E} review {O} -> {V}",)),
    )}
    six = ("lead", "due", "status", "tracker", "budget", "review")
    ents = (
        thing(("Project Atlas", "Atlas (web)", "PRJ-ATLAS"), six, tokens=("project atlas", "atlas (web)",
              "prj-atlas"), slug="atlas"),
        thing(("Atlas Mobile", "the Atlas app", "PRJ-AMOB"), six, tokens=("atlas mobile", "atlas app",
              "prj-amob"), slug="atlas-mobile"),
        thing(("Orion migration", "Orion", "orion"), six, tokens=("orion",)),
        thing(("Pricing revamp", "the pricing project", "pricing v2"), six, tokens=("pricing revamp",
              "pricing project", "pricing v2")),
        thing(("Website redesign", "the redesign", "site refresh"), six, tokens=("redesign", "site refresh")),
        thing(("Data warehouse", "DWH", "the warehouse project"), six, tokens=("data warehouse", "dwh",
              "warehouse project")),
        thing(("Onboarding flow", "onboarding", "new onboarding"), six, tokens=("onboarding",)),
        thing(("SSO rollout", "SSO", "single sign-on"), six, tokens=("sso", "single sign-on")),
        thing(("Billing v3", "billing rewrite", "BV3"), six, tokens=("billing v3", "billing rewrite", "bv3")),
        thing(("Project Kestrel", "Kestrel core", "PRJ-KES"), six, tokens=("project kestrel", "kestrel core", "prj-kes"),
              slug="kestrel"),
        thing(("Kestrel analytics", "Kestrel-A", "the analytics spin-off"), ("lead", "due", "status"),
              tokens=("kestrel analytics", "kestrel-a", "analytics spin-off")),
        thing(("Help center", "help centre", "support docs"), ("lead", "due", "status", "tracker"),
              tokens=("help cent", "support docs")),
        thing(("Audit log", "audit logging", "the audit log feature"), ("lead", "due", "status", "review"),
              tokens=("audit log",)),
        thing(("Partner API", "partner api", "the public API"), ("lead", "due", "status", "tracker", "budget"),
              tokens=("partner api", "public api")),
        thing(("Search relevance", "search tuning", "relevance work"), ("lead", "due", "status", "tracker"),
              tokens=("search relevance", "search tuning", "relevance work")),
        thing(("Mobile payments", "in-app payments", "MPAY"), six, tokens=("mobile payments", "in-app payments",
              "mpay")),
        thing(("Churn dashboard", "the churn dash", "churn reporting"), ("lead", "due", "status", "budget"),
              tokens=("churn dash", "churn reporting")),
        thing(("Vendor consolidation", "vendor cleanup", "VC-26"), ("lead", "due", "status", "budget", "review"),
              tokens=("vendor consolidation", "vendor cleanup", "vc-26")),
        thing(("Localization", "l10n", "i18n work"), ("lead", "due", "status"), tokens=("localization", "l10n",
              "i18n")),
    )

    def path(e: Entity, a: Attr, rng: random.Random) -> str:
        r = rng.random()
        return f"/projects/{e.slug}.md" if r < 0.5 else ("/standup.md" if r < 0.8 else "/projects/portfolio.md")

    keep = (
        "Portfolio review with the exec team is the last Friday of each month.",
        "Lesson from Orion: freeze schema changes two weeks before cutover.",
        "The design system tokens were renamed; update Figma links.",
        "Hack week ideas so far: CLI for reports, dark mode, faster CI.",
        "Stakeholder map lives in the Confluence space 'PMO'.",
        "OKR draft: reduce time-to-first-value for new accounts by 30%.",
        "Vendor contract for the translation agency signed in July.",
        "Reminder: status updates go out Thursday afternoon.",
        "Atlas kickoff deck had the wrong logo — fixed.",
        "Risk register reviewed; two new risks about hiring.",
        "Customer interview notes from the onboarding research are in Dovetail.",
        "Quarter close means no prod deploys on the last two business days.",
    )
    return World("projects", "projects", "a PMO agent's notes on a portfolio of projects: leads, due dates, status, "
                 "trackers, budget codes and review days, in per-project files and a standup log", "2026-08-03", 90,
                 ents, attrs, path, keep, keys=0.3, twins=(("atlas", "atlas-mobile", "status"), ("kestrel",
                 "kestrel-analytics", "lead")))


WORLDS: tuple[Callable[[], World], ...] = (_team, _household, _accounts, _fleet, _lab, _projects)

# --- generation ---------------------------------------------------------------------


@dataclass
class Mem:
    content: str
    day: float
    path: str
    kind: str
    fact: str | None = None  # fact id, None for unrelated memories
    values: frozenset[int] = frozenset()  # indexes into the fact's value list that the text states
    key: str | None = None
    id: str = ""


@dataclass
class Fact:
    id: str
    entity: Entity
    attr: Attr
    values: list[Value]  # in time order; last = current
    mems: list[Mem] = field(default_factory=list)
    lookalike: bool = False


_SLOT = re.compile(r"\{(E|V|O|A|D|src)\}")


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 5 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 2)
    r = rng.random()
    if r < 0.4:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if r < 0.7:
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]


def render(template: str, parts: dict[str, str], rng: random.Random, *, typo: float = 0.0) -> str:
    """Fill a template; typos land only in the template's own words and the attribute label."""
    out = []
    pos = 0
    for m in _SLOT.finditer(template):
        out.append(_typos(template[pos:m.start()], rng, typo))
        slot = parts[m.group(1)]
        out.append(_typos(slot, rng, typo) if m.group(1) == "A" else slot)
        pos = m.end()
    out.append(_typos(template[pos:], rng, typo))
    return "".join(out)


def _typos(text: str, rng: random.Random, p: float) -> str:
    if p <= 0:
        return text
    return re.sub(r"[A-Za-z]+", lambda m: _typo(m.group(0), rng) if rng.random() < p else m.group(0), text)


class Writer:
    """Phrases one fact's memories, each in a phrasing not yet used for that fact."""

    def __init__(self, world: World, rng: random.Random, start: datetime) -> None:
        self.world, self.rng, self.start = world, rng, start
        self.used: dict[str, set[str]] = {}

    def _pick(self, fid: str, pools: Sequence[Sequence[str]]) -> str:
        used = self.used.setdefault(fid, set())
        options = [t for pool in pools for t in pool if t not in used]
        if not options:
            options = [t for pool in pools for t in pool]
        # attribute-specific phrasings weigh more: they read like people
        weights = [3.0 if t in pools[0] else 1.0 for t in options]
        t = self.rng.choices(options, weights)[0]
        used.add(t)
        return t

    def phrase(self, fact: Fact, vi: int, day: float, mode: str, template: str | None = None) -> Mem:
        rng, a = self.rng, fact.attr
        if template is None:
            if mode == "change-old":
                template = self._pick(fact.id, (a.chg_old, G_CHG_OLD))
            elif mode == "change":
                template = self._pick(fact.id, (a.chg, G_CHG))
            elif mode == "restate":
                template = self._pick(fact.id, (a.stmt, G_RESTATE, G_STMT))
            else:
                template = self._pick(fact.id, (a.stmt, G_STMT))
        when = self.start + timedelta(days=day)
        parts = {
            "E": rng.choice(fact.entity.forms), "V": rng.choice(fact.values[vi].surfaces),
            "O": rng.choice(fact.values[vi - 1].surfaces) if vi else "", "A": rng.choice(a.labels),
            "D": when.strftime("%Y-%m-%d"), "src": rng.choice(SOURCES),
        }
        text = render(template, parts, rng, typo=0.08 if rng.random() < 0.3 else 0.0)
        text = self._noise(text, when)
        states = {vi, vi - 1} if "{O}" in template else {vi}
        key = None
        if rng.random() < self.world.keys:
            key = rng.choice((f"{fact.entity.slug}.{a.id}", f"{a.id}/{fact.entity.slug}",
                              f"{fact.entity.slug.replace('-', '_')}_{a.labels[0].replace(' ', '_').lower()}"))
        return Mem(text, day, self.world.path(fact.entity, a, rng), a.kind, fact.id, frozenset(states), key)

    def _noise(self, text: str, when: datetime) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.12:
            text = rng.choice(PREFIXES) + text
        elif r < 0.18:
            text = f"[{when:%Y-%m-%d}] " + text
        elif r < 0.22:
            text = f"{when:%Y-%m-%d}: " + text
        if rng.random() < 0.12:
            text = text.rstrip(".") + rng.choice(SUFFIXES)
        r = rng.random()
        if r < 0.18:
            text = text.lower()
        elif r < 0.28:
            text = text.rstrip(".")
        elif text[:1].islower() and rng.random() < 0.6:
            text = text[0].upper() + text[1:]
        return text


def _timeline(rng: random.Random, span: int, lookalike: bool) -> list[list[float]]:
    """For each value of the fact (in order) the days it is stated on."""
    if lookalike:
        return [[rng.uniform(0, span * 0.9)]]
    changes = rng.choices((0, 1, 2), (0.5, 0.36, 0.14))[0]
    cuts = sorted(rng.uniform(span * 0.15, span * 0.97) for _ in range(changes))
    while changes == 2 and cuts[1] - cuts[0] < 2:
        cuts = sorted(rng.uniform(span * 0.15, span * 0.97) for _ in range(changes))
    bounds = [0.0] + cuts + [float(span)]
    first = rng.uniform(0, min(span * 0.45, bounds[1] - 1)) if changes else rng.uniform(0, span * 0.7)
    out = []
    for i in range(changes + 1):
        lo = first if i == 0 else bounds[i]
        hi = bounds[i + 1]
        n = rng.choices((0, 1, 2, 3), (0.35, 0.35, 0.2, 0.1) if i < changes else (0.2, 0.35, 0.3, 0.15))[0]
        out.append([lo] + sorted(lo + (hi - lo) * rng.uniform(0.02, 0.98) for _ in range(n)))
    return out


def build(world: World, seed: int) -> tuple[list[Mem], dict[str, Any]]:
    _forms_covered(world)
    rng = random.Random(seed)
    start = datetime.fromisoformat(world.start + "T00:00:00")
    writer = Writer(world, rng, start)
    facts: list[Fact] = []
    for e in world.entities:
        for aid in e.attrs:
            facts.append(Fact(f"{e.id}-{aid}", e, world.attrs[aid], []))
    # look-alikes: two entities, one attribute, each stated once (often the same value, the same phrasing)
    pairs: list[tuple[Fact, Fact]] = []
    by_attr: dict[str, list[Fact]] = {}
    for f in facts:
        by_attr.setdefault(f.attr.id, []).append(f)
    named = {f.id: f for f in facts}
    for ea, eb, aid in world.twins:
        fa, fb = named[f"{ea}-{aid}"], named[f"{eb}-{aid}"]
        fa.lookalike = fb.lookalike = True
        pairs.append((fa, fb))
    for aid in sorted(by_attr):
        group = [f for f in by_attr[aid] if not f.lookalike]
        if len(group) < 4:
            continue
        fa, fb = rng.sample(group, 2)
        fa.lookalike = fb.lookalike = True
        pairs.append((fa, fb))
        if len(pairs) >= 8:
            break
    for f in facts:
        if f.lookalike:
            continue
        tl = _timeline(rng, world.span, False)
        f.values = rng.sample(list(f.attr.values), len(tl))
        for vi, stated in enumerate(tl):
            for k, day in enumerate(stated):
                if vi and k == 0:
                    r = rng.random()
                    mode = "change-old" if r < 0.35 else "change" if r < 0.75 else "plain"
                else:
                    mode = "plain" if k == 0 else "restate"
                f.mems.append(writer.phrase(f, vi, day, mode))
    for fa, fb in pairs:
        fa.values = [rng.choice(fa.attr.values)]
        fb.values = [fa.values[0] if rng.random() < 0.6 else rng.choice(fb.attr.values)]
        template = rng.choice(fa.attr.stmt + G_STMT)
        day = rng.uniform(0, world.span * 0.9)
        fa.mems.append(writer.phrase(fa, 0, day, "plain", template))
        fb.mems.append(writer.phrase(fb, 0, day + rng.uniform(0, 20), "plain", template))
    for f in facts:  # the latest value is the latest by observed_at: each value's memories come before the next's
        for m, n in zip(f.mems, f.mems[1:]):
            assert max(m.values) <= max(n.values) and (m.day < n.day or max(m.values) == max(n.values)), f.id
        last = len(f.values) - 1
        assert max(m.day for m in f.mems if last not in m.values) < min(m.day for m in f.mems if last in m.values) \
            if last else True, f.id
    mems = [m for f in facts for m in f.mems]
    for text in world.keep:
        mems.append(Mem(text, rng.uniform(0, world.span), rng.choice(("/notes.md", "/notes.md", "/journal.md")),
                        rng.choice(("note", "event", "note"))))
    _unique(mems, rng)
    mems.sort(key=(lambda m: m.day) if world.chrono else (lambda m: (m.path, m.day)))
    for i, m in enumerate(mems, 1):
        m.id = f"m{i}"
    return mems, _truth(world, facts, pairs, mems, rng)


def _forms_covered(world: World) -> None:
    """Every way an entity or a value is written contains one of its truth tokens."""
    for e in world.entities:
        for form in e.forms:
            assert matches(form, [list(e.tokens)]), f"{world.name}: {form!r} holds none of {e.tokens}"
    for a in world.attrs.values():
        for v in a.values:
            for s in v.surfaces:
                assert matches(s, [list(v.tokens)]), f"{world.name}: {s!r} holds none of {v.tokens}"


def _unique(mems: list[Mem], rng: random.Random) -> None:
    seen: set[str] = set()
    for m in mems:
        while m.content.lower() in seen:
            m.content = m.content + rng.choice((" (again)", " - noted", " ."))
        seen.add(m.content.lower())


def _truth(world: World, facts: list[Fact], pairs: list[tuple[Fact, Fact]], mems: list[Mem],
           rng: random.Random) -> dict[str, Any]:
    current, stale, dups = [], [], []
    for f in facts:
        ent = list(f.entity.tokens)
        last = len(f.values) - 1
        current.append({"id": f.id, "all": [ent, list(f.values[last].tokens)], "one": True,
                        "class": "update" if last else "plain"})
        for vi in range(last):
            stale.append({"id": f"{f.id}-was-{vi + 1}", "all": [ent, list(f.values[vi].tokens)], "current": f.id})
        latest = [m for m in f.mems if m.values == {last}]
        if len(latest) >= 2:
            dups.append({"a": latest[0].id, "b": rng.choice(latest[1:]).id, "kind": "paraphrase"})
    rng.shuffle(dups)
    dups = sorted(dups[:10], key=lambda d: int(d["a"][1:]))
    return {
        "domain": world.domain,
        "summary": world.summary,
        "notes": "drift corpus A (evals/drift_scenarios/generator_a.py); latest value by observed_at is the truth",
        "current": current,
        "stale": stale,
        "duplicates": dups,
        "distinct": [{"a": a.mems[0].id, "b": b.mems[0].id} for a, b in pairs],
        "keep": [m.id for m in mems if m.fact is None],
    }


def store_lines(mems: list[Mem], world: World) -> str:
    start = datetime.fromisoformat(world.start + "T00:00:00")
    lines = []
    for m in sorted(mems, key=lambda m: int(m.id[1:])):
        obj: dict[str, Any] = {"id": m.id, "content": m.content, "path": m.path, "kind": m.kind}
        if m.key:
            obj["key"] = m.key
        when = start + timedelta(days=m.day)
        obj["observed_at"] = when.replace(microsecond=0, second=0).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(json.dumps(obj, ensure_ascii=False))
    return "\n".join(lines) + "\n"


# --- checking -----------------------------------------------------------------------

_SPACE = re.compile(r"\s+")
_FOLD = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})


def fold(text: str) -> str:
    """As the scorer folds (evals/scenarios/README.md): lower case, quotes and dashes plain, spaces collapsed."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).translate(_FOLD).lower()).strip()


def matches(text: str, terms: Sequence[Any]) -> bool:
    folded = fold(text)
    return all(any(fold(o) in folded for o in (t if isinstance(t, list) else [t])) for t in terms)


def check(store: list[dict[str, Any]], truth: dict[str, Any], facts_of: dict[str, tuple[str, frozenset[int], int]],
          match: Callable[[str, Sequence[Any]], bool] = matches) -> list[str]:
    """Problems with a truth file against its raw store (empty = consistent).

    ``facts_of``: memory id -> (fact id, value indexes the memory states, index of the fact's latest value).
    """
    problems = []
    ids = {m["id"] for m in store}
    text = {m["id"]: m["content"] for m in store}
    folded = {i: fold(t) for i, t in text.items()}

    def match_ids(terms: Sequence[Any]) -> set[str]:
        return _hits(terms, text, folded, match)

    cur = {e["id"]: e for e in truth["current"]}
    for e in truth["current"]:
        hit = match_ids(e["all"])
        want = {i for i, (f, vals, last) in facts_of.items() if f == e["id"] and last in vals}
        if not want or hit != want:
            problems.append(f"current {e['id']}: matches {sorted(hit - want)[:5]} extra, misses {sorted(want - hit)[:5]}")
    for e in truth["stale"]:
        fact = cur[e["current"]]
        vi = int(e["id"].rsplit("-", 1)[1]) - 1
        hit = match_ids(e["all"]) - match_ids(fact["all"])
        want = {i for i, (f, vals, last) in facts_of.items() if f == e["current"] and vi in vals and last not in vals}
        if not want or hit != want:
            problems.append(f"stale {e['id']}: matches {sorted(hit - want)[:5]} extra, misses {sorted(want - hit)[:5]}")
    for e in truth["duplicates"]:
        if facts_of[e["a"]][:2] != facts_of[e["b"]][:2] or e["a"] == e["b"]:
            problems.append(f"duplicate {e['a']}~{e['b']}: not the same value of one fact")
    for e in truth["distinct"]:
        fa, fb = facts_of[e["a"]][0], facts_of[e["b"]][0]
        if fa == fb or sum(1 for f, _, _ in facts_of.values() if f in (fa, fb)) != 2:
            problems.append(f"distinct {e['a']}|{e['b']}: not two single-memory facts")
    for mid in truth["keep"]:
        if mid in facts_of or mid not in ids:
            problems.append(f"keep {mid}: not an unrelated memory of the store")
    if len({fold(t) for t in text.values()}) != len(text):
        problems.append("two memories with the same text")
    return problems


def _hits(terms: Sequence[Any], text: dict[str, str], folded: dict[str, str],
          match: Callable[[str, Sequence[Any]], bool]) -> set[str]:
    """The ids whose text matches ``terms``; a memory that holds none of the first term's alternatives
    cannot match, so it is skipped before ``match`` (the scorer's matching is slow over a whole store)."""
    first = [fold(o) for o in (terms[0] if isinstance(terms[0], list) else [terms[0]])]
    return {i for i, f in folded.items() if any(o in f for o in first) and match(text[i], terms)}


def baseline(store: list[dict[str, Any]], truth: dict[str, Any],
             match: Callable[[str, Sequence[Any]], bool] = matches) -> dict[str, list[int]]:
    """The scores of the raw store, as if nothing were dreamed (kind -> [passed, total])."""
    text = {m["id"]: m["content"] for m in store}
    folded = {i: fold(t) for i, t in text.items()}
    out: dict[str, list[int]] = {k: [0, 0] for k in ("current", "one", "stale", "duplicate", "distinct", "keep")}
    cur = {e["id"]: e for e in truth["current"]}
    for e in truth["current"]:
        n = len(_hits(e["all"], text, folded, match))
        out["current"][0] += n > 0
        out["current"][1] += 1
        if n:
            out["one"][0] += n == 1
            out["one"][1] += 1
    for e in truth["stale"]:
        left = bool(_hits(e["all"], text, folded, match) - _hits(cur[e["current"]]["all"], text, folded, match))
        out["stale"][0] += not left
        out["stale"][1] += 1
    out["duplicate"] = [0, len(truth["duplicates"])]
    out["distinct"] = [len(truth["distinct"])] * 2
    out["keep"] = [len(truth["keep"])] * 2
    return out


# --- writing ------------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    world: World
    store: str  # store.jsonl
    truth: dict[str, Any]
    facts_of: dict[str, tuple[str, frozenset[int], int]]  # memory id -> (fact, values it states, latest value)

    def problems(self, match: Callable[[str, Sequence[Any]], bool] = matches) -> list[str]:
        return check([json.loads(line) for line in self.store.splitlines()], self.truth, self.facts_of, match)


def build_all(seed: int = SEED) -> list[Built]:
    out = []
    for i, make in enumerate(WORLDS):
        world = make()
        mems, truth = build(world, seed * 101 + i)
        facts_of = {m.id: (m.fact, m.values, _last(truth, m.fact)) for m in mems if m.fact is not None}
        out.append(Built(world, store_lines(mems, world), truth, facts_of))
    return out


def generate(seed: int = SEED) -> dict[str, dict[str, str]]:
    """folder name -> file name -> text, for every world; raises when a truth file disagrees with its store."""
    out = {}
    for b in build_all(seed):
        problems = b.problems()
        if problems:
            raise AssertionError(f"{b.world.name}: truth and store disagree:\n  " + "\n  ".join(problems[:20]))
        out[b.world.name] = {"store.jsonl": b.store, "truth.json": json.dumps(b.truth, indent=1, ensure_ascii=False)
                             + "\n", "sessions/.gitkeep": ""}
    return out


def _last(truth: dict[str, Any], fid: str | None) -> int:
    return sum(1 for e in truth["stale"] if e["current"] == fid)


def write(folders: dict[str, dict[str, str]], out: Path) -> None:
    for name, files in folders.items():
        for rel, text in files.items():
            p = out / name / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    folders = generate(args.seed)
    write(folders, args.out)
    total: dict[str, list[int]] = {}
    for name, files in folders.items():
        store = [json.loads(line) for line in files["store.jsonl"].splitlines()]
        truth = json.loads(files["truth.json"])
        base = baseline(store, truth)
        for k, v in base.items():
            row = total.setdefault(k, [0, 0])
            row[0] += v[0]
            row[1] += v[1]
        print(f"{name}: {len(store)} memories, {len(truth['current'])} facts, {len(truth['stale'])} stale, "
              f"{len(truth['duplicates'])} dup pairs, {len(truth['distinct'])} look-alike pairs, "
              f"{len(truth['keep'])} unrelated", file=sys.stderr)
    print("raw store, nothing dreamed: " + ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in total.items()), file=sys.stderr)
    print(f"wrote {len(folders)} scenarios to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
