"""The six worlds of generator B: entities, attributes, value pools and each attribute's own phrasings.

Every world is written in its own voice (a sysadmin's terse notes, a producer's chat, a landlord's
ledger, a ward's handover, a shop owner's stock notes, a student's reminders); every attribute has
its own statement and change templates.  A value has several surface forms (``forms``, the first
canonical) and the truth matches any of them (``tokens``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(eq=False)
class Value:
    forms: list[str]
    tokens: list[str]

    def __repr__(self) -> str:
        return f"Value({self.forms[0]!r})"


@dataclass(eq=False)
class Entity:
    forms: list[str]
    tokens: list[str]
    skip: tuple[str, ...] = ()
    tag: str = ""


@dataclass(eq=False)
class Attr:
    name: str
    values: list[Value]
    state: list[str]
    change: list[str]


def V(*forms: str, tokens: list[str] | None = None) -> Value:
    """A value; the truth tokens default to every form, lower-cased."""
    return Value(list(forms), sorted({t.lower() for t in (tokens or forms)}))


MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def date_value(day: int, month: int, year: int, *, with_year: bool = False) -> Value:
    """A calendar date written four ways; two-digit days only, so no date is inside another."""
    assert day >= 10
    name = MONTHS[month - 1]
    y = f" {year}" if with_year else ""
    forms = [f"{day} {name}{y}", f"{name[:3]} {day}", f"{name} {day}th" if day not in (21, 22, 23, 31) else
             f"{name} {day}", f"{day}/{month:02d}" + (f"/{year}" if with_year else "")]
    tokens = [f"{day} {name[:3]}", f"{name[:3]} {day}", f"{name} {day}", f"{day}/{month:02d}",
              f"{year}-{month:02d}-{day:02d}", f"{year - 1}-{month:02d}-{day:02d}"]
    return V(*forms, tokens=tokens)


@dataclass(eq=False)
class World:
    name: str
    domain: str
    summary: str
    span_days: int
    entities: list[Entity]
    attrs: list[Attr]
    facts: int
    noise: list[str]
    prefixes: list[str]
    suffixes: list[str]
    path_of: Callable[[Entity, Attr, random.Random], str | None]
    unrelated: list[str]
    unrelated_path: str | None
    order: Callable[[list, random.Random], list]
    kinds: list[str | None] = field(default_factory=lambda: [None])
    key_rate: float = 0.0
    key_of: Callable[[Entity, Attr, random.Random], str | None] = lambda e, a, r: None
    prefix_rate: float = 0.15
    suffix_rate: float = 0.15
    lower_rate: float = 0.1
    change_weights: tuple[int, ...] = (35, 40, 20, 5)
    restate_weights: tuple[int, ...] = (45, 40, 15)
    change_verb_rate: float = 0.65
    lookalikes: int = 8
    dup_sample: int = 40


def by_time(mems: list, rng: random.Random) -> list:
    return sorted(mems, key=lambda m: m.observed_at)


def by_path_then_time(mems: list, rng: random.Random) -> list:
    return sorted(mems, key=lambda m: (m.path or "~", m.observed_at))


def shuffled(mems: list, rng: random.Random) -> list:
    out = list(mems)
    rng.shuffle(out)
    return out


# --- 1. a home lab: terse sysadmin notes, one file per host, some keys ----------------------------------

_HOSTS = ["kestrel", "osprey", "heron", "magpie", "plover", "curlew", "bittern", "lapwing", "dunlin", "siskin",
          "linnet", "avocet", "godwit", "redshank", "whimbrel", "fulmar", "gannet", "puffin", "merlin", "shrike"]


def _host(name: str, i: int) -> Entity:
    extra = [f"{name}.lan", f"{name.capitalize()}", f"host {name}", f"{name}.home.arpa", f"the {name} box"]
    return Entity(forms=[name] + [extra[(i + k) % len(extra)] for k in range(3)], tokens=[name], tag=name)


_IPS = [f"10.0.20.{n}" for n in (21, 23, 34, 37, 42, 45, 51, 58, 63, 66, 71, 74, 86, 89, 93, 97)]

HOMELAB = World(
    name="homelab-machines",
    domain="homelab",
    summary="An agent that helps one person run a home lab of twenty machines; hosts get re-addressed, "
            "reinstalled, moved, handed over and upgraded over a year.",
    span_days=365,
    entities=[_host(h, i) for i, h in enumerate(_HOSTS)],
    attrs=[
        Attr("ip", [V(ip, f"{ip}/24", tokens=[ip]) for ip in _IPS],
             state=["{E} has IP {V}.", "{E} is on {V}", "Static lease for {E}: {V}", "{V} = {E}",
                    "IP address of {E} is {V}.", "DHCP reservation {E} -> {V}", "ssh to {E} at {V}"],
             change=["{E} moved to {V}.", "Re-IPed {E} to {V} (was {O}).", "{E}'s address changed from {O} to {V}.",
                     "New static IP for {E}: {V}", "{E} no longer on {O}; now {V}",
                     "Renumbered the VLAN, {E} is {V} now"]),
        Attr("os", [V("Debian 12", "Debian bookworm", "Debian 12 (bookworm)", tokens=["debian 12", "bookworm"]),
                    V("Debian 11", "Debian bullseye", tokens=["debian 11", "bullseye"]),
                    V("Ubuntu 22.04", "Ubuntu 22.04 LTS", "jammy", tokens=["ubuntu 22.04", "jammy"]),
                    V("Ubuntu 24.04", "Ubuntu noble", tokens=["ubuntu 24.04", "noble"]),
                    V("Proxmox VE 8", "PVE 8", "Proxmox 8", tokens=["proxmox ve 8", "pve 8", "proxmox 8"]),
                    V("TrueNAS SCALE", "truenas scale"),
                    V("Fedora 41", "fedora 41"),
                    V("Rocky Linux 9", "Rocky 9", tokens=["rocky linux 9", "rocky 9"]),
                    V("NixOS 24.05", "nixos 24.05"),
                    V("Alpine 3.20", "alpine 3.20")],
             state=["{E} runs {V}.", "OS on {E}: {V}", "{E} is a {V} machine", "{V} installed on {E}",
                    "{E} -- {V}", "Distro for {E} is {V}"],
             change=["Upgraded {E} to {V}.", "{E} reinstalled with {V} (was {O})",
                     "{E} went from {O} to {V} over the weekend", "Wiped {E} and put {V} on it", "{E} now on {V}",
                     "dist-upgrade done on {E}: {O} -> {V}"]),
        Attr("location", [V("the comms cupboard", tokens=["comms cupboard"]),
                          V("the loft", "the attic", tokens=["loft", "attic"]),
                          V("the garage rack", "the rack in the garage", tokens=["garage rack", "rack in the garage"]),
                          V("the hallway cabinet", tokens=["hallway cabinet"]),
                          V("the study, under the desk", "under the study desk", tokens=["under the desk", "study desk"]),
                          V("my mum's house", "mum's place", tokens=["mum's house", "mum's place"]),
                          V("the server closet", tokens=["server closet"])],
             state=["{E} sits in {V}.", "{E} physically lives in {V}", "Location of {E}: {V}",
                    "You'll find {E} in {V}", "{V} is where {E} is"],
             change=["Moved {E} to {V}.", "{E} relocated from {O} to {V}", "Carried {E} out of {O} and into {V}",
                     "{E} has a new home in {V}", "{E} now in {V}"]),
        Attr("backup", [V("Backblaze B2", "Backblaze", tokens=["backblaze"]), V("rsync.net"),
                        V("the Synology", "the Synology DS920", tokens=["synology"]),
                        V("a Hetzner Storage Box", "the Hetzner box", tokens=["hetzner"]),
                        V("an external USB disk", "the USB drive", tokens=["usb disk", "usb drive"]),
                        V("restic to S3", "restic -> S3", tokens=["restic"]),
                        V("Borgbase", "BorgBase repo", tokens=["borgbase"])],
             state=["{E} backs up to {V}.", "Backups for {E} go to {V}", "{E} backup target: {V}",
                    "Nightly backup of {E} lands on {V}", "{V} holds the backups of {E}"],
             change=["Switched {E}'s backups to {V}.", "{E} backups moved off {O} onto {V}",
                     "{E} now backs up to {V} instead of {O}", "Pointed the {E} backup job at {V}"]),
        Attr("admin", [V(n, tokens=[n.lower()]) for n in ("Tomasz", "Priya", "Wendell", "Ingrid", "Kofi", "Saoirse",
                                                           "Dmitri", "Halima")],
             state=["{V} looks after {E}.", "{E} is {V}'s machine", "Ask {V} about anything on {E}",
                    "Owner of {E}: {V}", "{E} maintained by {V}"],
             change=["{V} took over {E} from {O}.", "{E} handed over to {V}",
                     "{O} no longer looks after {E}; {V} does now", "{E} is {V}'s responsibility from now on"]),
        Attr("ram", [V(f"{n} GB", f"{n}GB", f"{n} gigs") for n in (16, 24, 32, 64, 96)],
             state=["{E} has {V} of RAM.", "{E}: {V} memory", "RAM in {E} = {V}", "{V} in {E}"],
             change=["Upgraded {E} to {V} RAM (was {O})", "Added RAM to {E}, now {V}",
                     "{E} went from {O} to {V} of memory", "Pulled a DIMM from {E}; it has {V} now"]),
    ],
    facts=100,
    noise=["typo", "abbrev", "articles", "nopunct", "spaces"],
    prefixes=["note: ", "homelab: ", "done - ", "FYI ", "[infra] "],
    suffixes=[" (checked)", " - see wiki", ", verified", " as of the last reboot"],
    path_of=lambda e, a, r: f"/homelab/{e.tag}.md",
    key_rate=0.3,
    key_of=lambda e, a, r: r.choice([f"homelab.{e.tag}.{a.name}", f"{e.tag}/{a.name}", f"host:{e.tag}:{a.name}"]),
    kinds=["fact", "fact", None, "note"],
    unrelated=["Prefer Ansible playbooks over ad-hoc shell scripts for provisioning.",
               "The UPS battery was replaced in the spring; next swap due in three years.",
               "Grafana dashboards are exported to the dotfiles repo.",
               "The ISP router is in bridge mode; the firewall does NAT.",
               "Never run apt autoremove on a hypervisor without a snapshot first.",
               "Label every cable at both ends.",
               "The user likes short answers with the exact command to paste.",
               "Wi-Fi access points are on the ceiling of the landing and the kitchen.",
               "Renew the domain name every March.",
               "Power draw of the whole lab is about 180 W idle."],
    unrelated_path="/homelab/README.md",
    order=by_path_then_time,
)


# --- 2. a podcast's guest pipeline: a producer's chat notes, one file --------------------------------------

_GUESTS = [("Amara", "Osei"), ("Bjorn", "Lindqvist"), ("Rosalind", "Achterberg"), ("Teodoro", "Vasquez"),
           ("Mei-Ling", "Haworth"), ("Callum", "Fitzgerald"), ("Nkechi", "Balogun"), ("Ilse", "Vermeulen"),
           ("Gideon", "Marsh"), ("Paloma", "Reyes"), ("Hamish", "Drummond"), ("Yusra", "Qadir"),
           ("Oskar", "Brandt"), ("Delphine", "Aubert"), ("Rafael", "Moretti"), ("Sunniva", "Haugland"),
           ("Thandiwe", "Mokoena"), ("Cormac", "Dunleavy"), ("Zainab", "Lawal"), ("Viktor", "Halloran")]


def _guest(first: str, last: str, i: int) -> Entity:
    forms = [f"{first} {last}", first, last, f"{first} {last[0]}.", f"{first[0]}. {last}"]
    return Entity(forms=[forms[0]] + forms[1 + i % 2: 5 - (i % 3 == 0)], tokens=[first.lower(), last.lower()])


_DATES_PODCAST = [date_value(d, m, 2027) for d, m in ((12, 1), (19, 1), (23, 1), (28, 1), (16, 2), (25, 2),
                                                      (11, 3), (17, 3), (26, 3), (21, 4))]

PODCAST = World(
    name="podcast-guests",
    domain="media",
    summary="A podcast producer's assistant tracks twenty guests: recording dates slip, statuses move, "
            "producers and venues are swapped and episodes renumbered over five months.",
    span_days=150,
    entities=[_guest(f, la, i) for i, (f, la) in enumerate(_GUESTS)],
    attrs=[
        Attr("date", _DATES_PODCAST,
             state=["{E} records on {V}", "recording w/ {E} is {V}", "{E}: session booked for {V}",
                    "{V} is the day we tape {E}", "we're taping {E} on {V}"],
             change=["{E} pushed to {V}", "{E} moved from {O} to {V}", "{E} rescheduled, now {V} (not {O})",
                     "{E} can't do {O} anymore, new date {V}", "new recording date for {E}: {V}"]),
        Attr("status", [V("confirmed", "locked in"), V("pencilled in", "penciled in", "tentative"),
                        V("on hold", "paused"), V("dropped out", "pulled out"),
                        V("in the edit", "being edited"), V("published", "out now"),
                        V("waiting on their agent", "waiting to hear back from their agent", tokens=["their agent"])],
             state=["{E} status: {V}", "{E} is {V}", "where are we with {E}? {V}", "{E} -- {V}",
                    "pipeline says {E} is {V}"],
             change=["{E} is now {V}", "{E} went from {O} to {V}", "update on {E}: {V} (was {O})",
                     "{E} changed to {V}", "{E} no longer {O}, {V}"]),
        Attr("producer", [V(n, tokens=[n.lower()]) for n in ("Dana", "Marcus", "Yuki", "Obinna", "Fenella",
                                                              "Jasper", "Bettina")],
             state=["{V} is producing the {E} episode", "producer for {E}: {V}", "{E}'s ep is {V}'s",
                    "{V} owns {E}", "{E} episode -> {V}"],
             change=["{V} takes over producing {E} from {O}", "{E} episode reassigned to {V}",
                     "swap: {E} now produced by {V}, not {O}", "{V} is producing {E} now"]),
        Attr("venue", [V("Studio B at Canal House", "Canal House studio B", "Canal House", tokens=["canal house"]),
                       V("remote over Riverside", "Riverside (remote)", "riverside.fm", tokens=["riverside"]),
                       V("the Brixton booth", "Brixton", tokens=["brixton"]),
                       V("their home studio", "the guest's home studio", tokens=["home studio"]),
                       V("Zencastr", "a Zencastr link", tokens=["zencastr"]),
                       V("MediaCity in Salford", "Salford", tokens=["salford"])],
             state=["{E} records at {V}", "recording {E} at {V}", "venue for {E}: {V}", "{E} will be at {V}",
                    "{V} for the {E} session"],
             change=["{E} moved to {V}", "{E} switched from {O} to {V}", "we're doing {E} at {V} now, not {O}",
                     "location change for {E}: {V}"]),
        Attr("episode", [V(f"episode {n}", f"ep {n}", f"ep. {n}", f"#{n}") for n in (37, 41, 44, 46, 49, 52, 55, 58)],
             state=["{E} is {V}", "{E} goes out as {V}", "slotting {E} in as {V}", "{V}: {E}", "{E} airs as {V}"],
             change=["{E} bumped to {V}", "{E} pushed from {O} to {V}", "{E} now {V} (swapped slots)",
                     "moved {E} to {V}", "{E} renumbered {O} -> {V}"]),
    ],
    facts=100,
    noise=["typo", "abbrev", "nopunct", "articles", "shout"],
    prefixes=["fyi ", "btw ", "quick note - ", "from slack: ", "pipeline: "],
    suffixes=[" - will confirm w/ guest", " lol", " (per email)", " ok?", " \U0001f399"],
    lower_rate=0.5,
    path_of=lambda e, a, r: "/podcast/pipeline.md",
    unrelated=["the intro music licence renews in april", "Mic of choice for guests: Shure SM7B.",
               "Show notes always link the guest's own website first.",
               "Never publish on a Friday; Tuesday mornings get the most downloads.",
               "Ad reads go after the first segment, never in the cold open.",
               "Keep episodes under 55 minutes.", "The host hates the word 'synergy'.",
               "Transcripts are cleaned up by hand before they go on the site.",
               "Use -16 LUFS for the final master."],
    unrelated_path="/podcast/pipeline.md",
    order=by_time,
    change_verb_rate=0.55,
)


# --- 3. a landlord's properties: a ledger, one file per topic ---------------------------------------------

_PROPS = [("14 Orchard Row", ["Orchard Row", "the Orchard Row flat", "No. 14 Orchard Row", "14 Orchard Rw"],
           ["orchard row", "orchard rw"]),
          ("3 Quarry Hill", ["Quarry Hill", "the Quarry Hill house", "3 Quarry Hl"], ["quarry h"]),
          ("22 Sefton Terrace", ["Sefton Terrace", "Sefton Terr.", "22 Sefton Ter"], ["sefton ter"]),
          ("Flat 5, Millbrook Court", ["Millbrook Court", "Millbrook Ct", "the Millbrook flat"], ["millbrook"]),
          ("61 Ashdown Road", ["Ashdown Road", "61 Ashdown Rd", "Ashdown"], ["ashdown"]),
          ("9 Kiln Lane", ["Kiln Lane", "Kiln Ln", "the Kiln Lane cottage"], ["kiln l"]),
          ("Flat 2, Harbour View", ["Harbour View", "Harbour Vw", "the Harbour View flat"], ["harbour v"]),
          ("7 Linden Close", ["Linden Close", "Linden Cl.", "the Linden Close semi"], ["linden cl"]),
          ("40 Byrne Street", ["Byrne Street", "Byrne St", "40 Byrne St."], ["byrne st"]),
          ("2 Fountain Mews", ["Fountain Mews", "the mews house", "Fountain Mws"], ["fountain m", "mews house"]),
          ("18 Calder Walk", ["Calder Walk", "Calder Wlk", "the Calder Walk flat"], ["calder w"]),
          ("Weir Cottage", ["the Weir Cottage", "Weir Cott.", "the cottage by the weir"], ["weir cott", "by the weir"]),
          ("Ropewalk House", ["the Ropewalk", "Ropewalk Hse", "Ropewalk"], ["ropewalk"]),
          ("5 Beacon Place", ["Beacon Place", "Beacon Pl", "5 Beacon Pl."], ["beacon pl"]),
          ("Tollgate Lodge", ["the Tollgate", "Tollgate Ldg", "Tollgate"], ["tollgate"]),
          ("33 Hazel Grove", ["Hazel Grove", "Hazel Gr.", "33 Hazel Gv"], ["hazel g"]),
          ("11 Dray Street", ["Dray Street", "Dray St", "11 Dray St."], ["dray st"]),
          ("The Saltings", ["Saltings", "the Saltings bungalow"], ["saltings"])]


def _money(n: int) -> Value:
    comma = f"£{n:,}"
    return V(comma, f"£{n}", f"{n} pounds", f"{comma} pcm", tokens=[comma, f"£{n}", f"{n} pounds"])


LANDLORD = World(
    name="landlord-properties",
    domain="property",
    summary="A landlord's assistant keeps eighteen properties: tenants come and go, rents are reviewed, "
            "agents and gas engineers change, leases are renewed, certificates redone, over a year.",
    span_days=365,
    entities=[Entity(forms=[p] + alts, tokens=toks) for p, alts, toks in _PROPS],
    attrs=[
        Attr("tenant", [V("the Okafors", "Mr & Mrs Okafor", "the Okafor family", tokens=["okafor"]),
                        V("Siobhan Kearney", "Ms Kearney", tokens=["kearney"]),
                        V("Luis Fernandez", "Mr Fernandez", "Luis Fernández", tokens=["fernandez", "fernández"]),
                        V("Priyanka Rao", "Priyanka", tokens=["priyanka"]),
                        V("Jonas Eklund", "Mr Eklund", tokens=["eklund"]),
                        V("the Whitfields", "the Whitfield family", tokens=["whitfield"]),
                        V("Agnieszka Nowak", "Ms Nowak", tokens=["nowak"]),
                        V("Tom Bellamy", "Mr Bellamy", tokens=["bellamy"])],
             state=["{E} is let to {V}.", "Tenant at {E}: {V}", "{E} -- tenancy held by {V}",
                    "Current occupant of {E} is {V}", "{V} rent {E}"],
             change=["New tenancy at {E}: {V} moved in.", "{O} moved out of {E}; {V} moved in",
                     "{E} re-let to {V}", "{V} took over the tenancy at {E} from {O}", "{E} now let to {V}"]),
        Attr("rent", [_money(n) for n in (615, 725, 850, 940, 990, 1075, 1150, 1290, 1380)],
             state=["Rent at {E} is {V} a month.", "{E}: {V} pcm", "{E} rent {V}", "Monthly rent for {E} = {V}",
                    "{E} pays {V}"],
             change=["Rent at {E} revised to {V}.", "{E} rent changed from {O} to {V}",
                     "Agreed a new rent of {V} for {E}", "Rent review done for {E}: {V} (was {O})",
                     "{E} rent now {V}"]),
        Attr("agent", [V("Harcourt Lettings", "Harcourt", tokens=["harcourt"]),
                       V("Bramble & Co", "Bramble and Co", tokens=["bramble"]),
                       V("Keyline Property", "Keyline", tokens=["keyline"]),
                       V("Northgate Estates", "Northgate", tokens=["northgate"]),
                       V("Foxley Residential", "Foxley", tokens=["foxley"]),
                       V("Pembury Homes", "Pembury", tokens=["pembury"])],
             state=["{E} is managed by {V}.", "Letting agent for {E}: {V}", "{V} handle {E}",
                    "{E} goes through {V}", "Agent ({E}) = {V}"],
             change=["Moved {E} from {O} to {V}.", "{E} switched agents to {V}", "{V} now manage {E} (dropped {O})",
                     "Signed {E} with {V}"]),
        Attr("gas", [V("Pritchard Heating", "Dave Pritchard", tokens=["pritchard"]),
                     V("Carver & Sons", "Carver and Sons", tokens=["carver"]),
                     V("Ellis Boilers", "Mark Ellis", tokens=["ellis"]),
                     V("Quickfix Plumbing", "Quickfix", tokens=["quickfix"]),
                     V("Halden Gas Services", "Halden Gas", tokens=["halden"]),
                     V("Marek Zielinski", "Marek Z.", tokens=["marek"])],
             state=["Gas engineer for {E}: {V}", "{V} services the boiler at {E}", "Call {V} for heating at {E}",
                    "{E}'s boiler person is {V}"],
             change=["Changed the gas engineer at {E} to {V}", "{E}: {V} replaces {O} for the boiler",
                     "No more {O} at {E}; using {V}", "{V} now does the gas safety at {E}"]),
        Attr("lease", [date_value(d, m, y, with_year=True) for d, m, y in ((31, 3, 2027), (30, 6, 2027), (31, 8, 2027),
                                                                          (30, 11, 2027), (28, 2, 2028), (31, 1, 2027),
                                                                          (30, 9, 2027))],
             state=["Lease at {E} ends {V}.", "{E} tenancy runs until {V}", "{E} AST end date: {V}",
                    "{E} lease expiry {V}"],
             change=["{E} lease extended to {V}", "{E} renewed; now ends {V} (was {O})",
                     "Tenancy at {E} now runs to {V}", "{E} end date moved from {O} to {V}"]),
        Attr("epc", [V(f"EPC {b}", f"EPC rating {b}", f"energy rating {b}") for b in "BCDE"],
             state=["{E} has {V}.", "{V} for {E}", "{E} energy certificate: {V}", "{E} is {V}"],
             change=["New certificate at {E}: {V}", "{E} went from {O} to {V} after the insulation work",
                     "{E} re-assessed, now {V}", "{E} upgraded to {V}"]),
    ],
    facts=100,
    noise=["typo", "abbrev", "nopunct", "spaces"],
    prefixes=["Note: ", "Ledger: ", "Re ", "Confirmed: "],
    suffixes=[" (per the agent's email)", " - filed in the drive", ", per the signed paperwork", "."],
    lower_rate=0.05,
    path_of=lambda e, a, r: {"tenant": "/properties/tenants.md", "rent": "/properties/rent.md",
                             "agent": "/properties/lettings.md", "lease": "/properties/lettings.md",
                             "gas": "/properties/maintenance.md", "epc": "/properties/compliance.md"}[a.name],
    kinds=["fact"],
    unrelated=["Self-assessment tax return is due by 31 January every year.",
               "Keep every deposit in the DPS scheme.", "The landlord prefers letters by email, not post.",
               "Smoke alarms get tested at the start of each tenancy.",
               "Accountant is Grainger & Hale; they want statements quarterly.",
               "Buildings insurance for the portfolio is with one insurer, renewed each October.",
               "Spare keys for all properties are in the locked box in the office.",
               "Do not accept pets without a signed addendum.",
               "Mortgage fixes are tracked in the spreadsheet, not here."],
    unrelated_path="/properties/notes.md",
    order=by_path_then_time,
)


# --- 4. a hospital ward's rota: handover notes, no paths, stored in no order ---------------------------------

_NURSES = [("Adaeze Okonkwo", ["Adaeze", "Nurse Okonkwo", "A. Okonkwo"], ["okonkwo", "adaeze"]),
           ("Bronagh Keane", ["Bronagh", "Nurse Keane", "B. Keane"], ["keane", "bronagh"]),
           ("Chidi Eze", ["Chidi", "Chidi E."], ["chidi"]),
           ("Dorota Wisniewska", ["Dorota", "Dorota W.", "Nurse Wisniewska"], ["dorota", "wisniewska"]),
           ("Efua Boateng", ["Efua", "Nurse Boateng", "E. Boateng"], ["efua", "boateng"]),
           ("Fraser McAllister", ["Fraser", "Nurse McAllister", "F. McAllister"], ["fraser", "mcallister"]),
           ("Gwen Tudor-Price", ["Gwen", "Nurse Tudor-Price", "Gwen T-P"], ["gwen", "tudor-price"]),
           ("Hamza Iqbal", ["Hamza", "Nurse Iqbal", "H. Iqbal"], ["hamza", "iqbal"]),
           ("Isla Monteith", ["Isla", "Nurse Monteith", "I. Monteith"], ["isla", "monteith"]),
           ("Jomo Kariuki", ["Jomo", "Nurse Kariuki", "J. Kariuki"], ["jomo", "kariuki"]),
           ("Kirsty Baird", ["Kirsty", "Nurse Baird", "K. Baird"], ["kirsty", "baird"]),
           ("Leon Adeyemi", ["Adeyemi", "Nurse Adeyemi", "L. Adeyemi"], ["adeyemi"]),
           ("Marisol Ortega", ["Marisol", "Nurse Ortega", "M. Ortega"], ["marisol", "ortega"]),
           ("Niamh Delaney", ["Niamh", "Nurse Delaney", "N. Delaney"], ["niamh", "delaney"]),
           ("Pradeep Nair", ["Pradeep", "Pradeep N."], ["pradeep"]),
           ("Rhiannon Pugh", ["Rhiannon", "Nurse Pugh", "R. Pugh"], ["rhiannon", "pugh"]),
           ("Sione Tupou", ["Sione", "Nurse Tupou", "S. Tupou"], ["sione", "tupou"]),
           ("Tove Lindahl", ["Tove", "Nurse Lindahl", "T. Lindahl"], ["tove", "lindahl"])]

_DAYS = [V("Monday", "Mondays", tokens=["monday"]), V("Tuesday", "Tuesdays", "Tues", tokens=["tuesday", "tues"]),
         V("Wednesday", "Wednesdays", "Weds", tokens=["wednesday", "weds"]),
         V("Thursday", "Thursdays", "Thurs", tokens=["thursday", "thurs"]), V("Friday", "Fridays", tokens=["friday"]),
         V("Saturday", "Saturdays", tokens=["saturday"]), V("Sunday", "Sundays", tokens=["sunday"])]

WARD = World(
    name="ward-rota",
    domain="health",
    summary="A ward sister's assistant keeps the rota of eighteen nurses over five weeks: shift patterns, bays, "
            "days off, preceptors, bleeps and lockers change; the notes are stored in no particular order.",
    span_days=35,
    entities=[Entity(forms=[n] + alts, tokens=toks) for n, alts, toks in _NURSES],
    attrs=[
        Attr("shift", [V("nights", "night shifts", tokens=["night"]),
                       V("earlies", "early shifts", tokens=["earlies", "early shift"]),
                       V("lates", "late shifts", tokens=["lates", "late shift"]),
                       V("long days", "12-hour days", tokens=["long day", "12-hour day"]),
                       V("twilights", "twilight shifts", tokens=["twilight"])],
             state=["{E} is on {V} this block.", "{E} working {V}", "{V} for {E}", "Rota: {E} - {V}",
                    "{E} doing {V}"],
             change=["{E} switched to {V}", "{E} off {O}, onto {V}", "{E} moved from {O} to {V} (staffing)",
                     "{E} swapped onto {V}"]),
        Attr("bay", [V(f"Bay {n}", f"bay {w}", tokens=[f"bay {n}", f"bay {w}"])
                     for n, w in ((1, "one"), (2, "two"), (3, "three"), (4, "four"), (5, "five"), (6, "six"))]
             + [V("side room 4", "SR4", tokens=["side room 4", "sr4"]), V("HDU", "the high-dependency unit",
                                                                        tokens=["hdu", "high-dependency"])],
             state=["{E} allocated to {V}", "{E} covering {V}", "{V}: {E}", "{E} has {V}", "{E} looks after {V}"],
             change=["{E} moved to {V}", "{E} reallocated from {O} to {V}", "Swap: {E} now on {V}",
                     "{E} out of {O}, into {V}"]),
        Attr("dayoff", _DAYS,
             state=["{E} has {V} off.", "{E}'s day off is {V}", "{E} not in on {V}", "{V} off for {E}",
                    "{E} never works {V}"],
             change=["{E} day off moved to {V}", "{E} now off on {V} instead of {O}",
                     "{E} swapped their day off from {O} to {V}", "{E} wants {V} off from now on"]),
        Attr("mentor", [V("Sister Hargreaves", "Hargreaves", tokens=["hargreaves"]),
                        V("Charge Nurse Mbeki", "Mbeki", tokens=["mbeki"]),
                        V("Ros Petrakis", "Petrakis", tokens=["petrakis"]),
                        V("Ugo Fontaine", "Fontaine", tokens=["fontaine"]),
                        V("Ward Manager Lowther", "Lowther", tokens=["lowther"]),
                        V("Beatrix Soames", "Soames", tokens=["soames"])],
             state=["{E}'s preceptor is {V}", "{V} is mentoring {E}", "{E} buddied with {V}", "Mentor for {E}: {V}"],
             change=["{E} reassigned to {V} for mentoring", "{V} takes over as {E}'s preceptor from {O}",
                     "{E} now mentored by {V}", "{E}: mentor changed {O} -> {V}"]),
        Attr("bleep", [V(f"bleep {n}", f"bleep #{n}", f"ext {n}", tokens=[str(n)])
                       for n in (4417, 4423, 4458, 4471, 4502, 4536, 4589, 4610)],
             state=["{E} carries {V}", "Page {E} on {V}", "{E}: {V}", "{E} reachable on {V}"],
             change=["{E} has a new bleep: {V}", "{E} swapped bleeps, {O} -> {V}", "{E} now on {V}",
                     "{E}'s bleep changed to {V}"]),
        Attr("locker", [V(f"locker {n}", f"locker no. {n}", f"locker #{n}") for n in (12, 17, 23, 31, 38, 46, 52)],
             state=["{E} uses {V}", "{V} belongs to {E}", "{E}'s stuff is in {V}", "{E} -- {V}"],
             change=["{E} moved to {V}", "{E} gave up {O}, now {V}", "{E} has {V} now", "{E} swapped into {V}"]),
    ],
    facts=100,
    noise=["typo", "abbrev", "nopunct", "articles"],
    prefixes=["handover: ", "rota note - ", "NB ", "ward: "],
    suffixes=[" (per roster)", " pls note", " - see e-roster", " ok'd by sister"],
    path_of=lambda e, a, r: None,
    unrelated=["Controlled drugs are checked at every handover, two signatures.",
               "The ward's fridge temperature log lives on the clipboard by the treatment room.",
               "Sharps bins are swapped when three-quarters full.",
               "Visiting hours are 2-8pm; two visitors per bed.",
               "The crash trolley check is daily and signed.", "Annual fire training is booked through the portal.",
               "Hand hygiene audits are done monthly by the link nurse.",
               "The ward phone extension for relatives is on the whiteboard."],
    unrelated_path=None,
    order=shuffled,
    restate_weights=(40, 40, 20),
    change_verb_rate=0.75,
)


# --- 5. an online shop's products: stock notes in mixed files, half keyed ------------------------------------

_PRODUCTS = [("speckled mug", "MUG-07", ["speckled mugs", "the speckled mug (MUG-07)"], ["speckled mug", "mug-07"]),
             ("linen apron", "APR-02", ["linen aprons", "the apron (APR-02)"], ["linen apron", "apr-02"]),
             ("oak chopping board", "BRD-11", ["oak board", "chopping board BRD-11"], ["oak board", "oak chopping", "brd-11"]),
             ("beeswax wraps", "WRP-04", ["beeswax wrap", "wax wraps (WRP-04)"], ["beeswax", "wrp-04"]),
             ("enamel camp mug", "MUG-12", ["enamel mug", "the camp mug (MUG-12)"], ["enamel", "mug-12"]),
             ("jute tote", "TOT-03", ["jute totes", "tote bag TOT-03"], ["jute tote", "tot-03"]),
             ("stoneware bowl", "BWL-09", ["stoneware bowls", "the bowl (BWL-09)"], ["stoneware", "bwl-09"]),
             ("copper watering can", "CAN-01", ["watering can", "the copper can (CAN-01)"],
              ["watering can", "copper can", "can-01"]),
             ("wool throw", "THR-05", ["wool throws", "the throw (THR-05)"], ["wool throw", "thr-05"]),
             ("soy candle", "CND-08", ["soy candles", "candle CND-08"], ["soy candle", "cnd-08"]),
             ("ceramic planter", "PLT-06", ["planters", "the planter (PLT-06)"], ["planter", "plt-06"]),
             ("bamboo brush", "BRS-10", ["bamboo brushes", "brush BRS-10"], ["bamboo brush", "brs-10"]),
             ("hand-thrown vase", "VAS-13", ["hand thrown vase", "the vase (VAS-13)"], ["vase", "vas-13"]),
             ("glass carafe", "CRF-14", ["carafes", "the carafe (CRF-14)"], ["carafe", "crf-14"]),
             ("felt coaster set", "CST-15", ["felt coasters", "coasters CST-15"], ["coaster", "cst-15"]),
             ("cast-iron trivet", "TRV-16", ["cast iron trivet", "the trivet (TRV-16)"], ["trivet", "trv-16"]),
             ("waxed canvas bag", "BAG-17", ["canvas bag", "the waxed bag (BAG-17)"], ["canvas bag", "waxed bag", "bag-17"]),
             ("olive-wood spoon", "SPN-18", ["olive wood spoon", "spoon SPN-18"], ["olive-wood", "olive wood", "spn-18"])]


def _lead(n: int, word: str, days: int | None) -> Value:
    unit = "week" if n == 1 else "weeks"
    forms = [f"{n} {unit}", f"{word} {unit}"] + ([f"{days} days"] if days else [])
    return V(*forms)


def _shop_path(e: Entity, a: Attr, r: random.Random) -> str | None:
    home = "/shop/suppliers.md" if a.name in ("supplier", "cost", "lead") else "/shop/stockroom.md"
    return r.choices([home, "/notes.md", None], weights=[6, 2, 2])[0]


SHOP = World(
    name="shop-products",
    domain="retail",
    summary="An online homeware shop's assistant tracks eighteen products over eight months: suppliers, "
            "unit costs, lead times, stockroom bins, reorder points and couriers change.",
    span_days=240,
    entities=[Entity(forms=[n, sku] + alts, tokens=toks, tag=sku) for n, sku, alts, toks in _PRODUCTS],
    attrs=[
        Attr("supplier", [V("Kilnworks Pottery", "Kilnworks", tokens=["kilnworks"]),
                          V("Hebden Textiles", "Hebden", tokens=["hebden"]),
                          V("Alder & Ash", "Alder and Ash", tokens=["alder & ash", "alder and ash"]),
                          V("Norrland Trading", "Norrland", tokens=["norrland"]),
                          V("Pasco Imports", "Pasco", tokens=["pasco"]),
                          V("Greywell Crafts", "Greywell", tokens=["greywell"]),
                          V("Tamsin's workshop", "Tamsin", tokens=["tamsin"])],
             state=["{E} supplied by {V}", "We buy {E} from {V}.", "Supplier for {E}: {V}", "{V} makes our {E}",
                    "{E} <- {V}"],
             change=["Switched {E} supplier to {V}", "{E} now comes from {V} (was {O})",
                     "Dropped {O} for {E}; {V} from the next order", "{V} took over supplying {E}"]),
        Attr("cost", [V(f"£{p}", f"{p} GBP", f"£{p}/unit", tokens=[f"£{p}", f"{p} gbp"])
                      for p in ("2.95", "3.85", "4.20", "6.75", "7.10", "9.40", "12.60", "15.30")],
             state=["Unit cost of {E} is {V}.", "{E} costs us {V} each", "{E} landed cost {V}", "buy price {E}: {V}"],
             change=["{E} unit cost went to {V}", "{E} price change: {O} -> {V}", "New cost price for {E}: {V}",
                     "Supplier changed {E} from {O} to {V}", "{E} now {V} a unit"]),
        Attr("lead", [_lead(1, "one", 7), _lead(2, "two", 14), _lead(3, "three", 21), _lead(4, "four", 28),
                      _lead(6, "six", 42), V("10 days", "ten days")],
             state=["Lead time on {E}: {V}", "{E} takes {V} to arrive", "Allow {V} for {E} restocks",
                    "{E} ships to us in {V}"],
             change=["{E} lead time now {V}", "{E} lead time slipped from {O} to {V}", "{V} lead time on {E} from now",
                     "{E} restock now takes {V}"]),
        Attr("bin", [V(f"bin {b}", f"bin {b.replace('-', '')}", f"shelf {b}", tokens=[b, b.replace("-", "")])
                     for b in ("A-03", "B-11", "C-14", "D-02", "E-09", "F-16")],
             state=["{E} shelved in {V}", "{E} lives in {V} in the stockroom", "Stock location {E}: {V}",
                    "pick {E} from {V}"],
             change=["Moved {E} to {V}", "{E} relocated {O} -> {V}", "{E} now in {V}, no longer {O}",
                     "restow: {E} to {V}"]),
        Attr("reorder", [V(f"{n} units", f"{w} units") for n, w in ((15, "fifteen"), (25, "twenty-five"),
                                                                    (40, "forty"), (60, "sixty"),
                                                                    (75, "seventy-five"), (150, "150"))],
             state=["Reorder {E} when stock falls to {V}", "{E} reorder point: {V}", "min stock {E} = {V}",
                    "Keep at least {V} of {E}"],
             change=["Raised {E} reorder point to {V}", "{E} reorder level changed from {O} to {V}",
                     "New min stock for {E}: {V}", "{E}: reorder at {V} now"]),
        Attr("courier", [V("Royal Mail Tracked 48", "RM Tracked 48", tokens=["tracked 48"]),
                         V("DPD next day", "DPD", tokens=["dpd"]), V("Evri", "Hermes/Evri", tokens=["evri"]),
                         V("Parcelforce 24", "Parcelforce", tokens=["parcelforce"]),
                         V("DHL Express", "DHL", tokens=["dhl"])],
             state=["{E} ships via {V}", "Courier for {E}: {V}", "Send {E} with {V}", "{V} for {E} orders"],
             change=["{E} moved to {V}", "Switched {E} shipping from {O} to {V}", "{E} now goes out by {V}",
                     "Stop using {O} for {E}, {V} instead"]),
    ],
    facts=100,
    noise=["typo", "abbrev", "nopunct", "articles", "spaces"],
    prefixes=["stock: ", "Note - ", "ops: ", "reminder: "],
    suffixes=[" (see invoice)", " - updated the spreadsheet", ", per supplier call", " !"],
    path_of=_shop_path,
    key_rate=0.45,
    key_of=lambda e, a, r: r.choice([f"sku.{e.tag}.{a.name}", f"{e.forms[0].replace(' ', '-')}:{a.name}",
                                     f"{a.name}/{e.tag.lower()}"]),
    kinds=["fact", "note", None],
    unrelated=["Shopify payouts arrive every Tuesday.", "Packaging is plastic-free; never use bubble wrap.",
               "Customer emails get a reply within one working day.",
               "The Christmas order cut-off goes on the banner in late November.",
               "VAT returns are quarterly.", "Photograph new products on the grey backdrop in daylight.",
               "Discount codes never stack.", "Returns are accepted within 30 days, unused."],
    unrelated_path="/notes.md",
    order=by_time,
)


# --- 6. a student's courses: first-person reminders, one file ------------------------------------------------

_COURSES = [("Organic Chemistry II", ["orgo 2", "CHEM 231", "organic chem"], ["organic chem", "orgo", "chem 231"]),
            ("Linear Algebra", ["lin alg", "MATH 220", "linear alg"], ["linear alg", "lin alg", "math 220"]),
            ("Intro to Microeconomics", ["ECON 101", "microecon", "the micro class"],
             ["microecon", "econ 101", "micro class"]),
            ("Cell Biology", ["cell bio", "BIO 210"], ["cell bio", "bio 210"]),
            ("Modern European History", ["Euro history", "HIST 150", "european history"],
             ["european history", "euro history", "hist 150"]),
            ("Data Structures", ["CS 201", "data structs"], ["data struct", "cs 201"]),
            ("Spanish III", ["Spanish 3", "SPAN 301"], ["spanish iii", "spanish 3", "span 301"]),
            ("Statistics for Scientists", ["STAT 240", "the stats class"], ["statistics for", "stat 240", "stats class"]),
            ("Philosophy of Mind", ["phil of mind", "PHIL 215"], ["philosophy of mind", "phil of mind", "phil 215"]),
            ("Creative Writing Workshop", ["the writing workshop", "ENGL 245"], ["writing workshop", "engl 245"]),
            ("Electricity & Magnetism", ["E&M", "PHYS 212", "e&m physics"], ["e&m", "electricity & magnetism", "phys 212"]),
            ("Genetics", ["BIO 305", "genetics class"], ["genetics", "bio 305"]),
            ("Music Theory I", ["music theory", "MUS 110"], ["music theory", "mus 110"]),
            ("Public Speaking", ["COMM 105", "public speaking class"], ["public speaking", "comm 105"]),
            ("Environmental Science", ["enviro sci", "ENVS 120"], ["environmental sci", "enviro sci", "envs 120"])]


def _room(building: str, n: int) -> Value:
    forms = [f"{building} {n}", f"{building} Hall {n}", f"room {n} in {building}"]
    return V(*forms)


STUDENT = World(
    name="student-courses",
    domain="education",
    summary="A student's assistant keeps fifteen courses over one autumn term: rooms, lecturers, lecture days, "
            "exam dates, TAs, essay deadlines and running grades change.",
    span_days=100,
    entities=[Entity(forms=[c] + alts, tokens=toks) for c, alts, toks in _COURSES],
    attrs=[
        Attr("room", [_room(b, n) for b, n in (("Hartley", 204), ("Ostrom", 117), ("Kemper", 310), ("Lyle", 452),
                                               ("Whitby", 88), ("Hartley", 319), ("Ostrom", 241))],
             state=["{E} is in {V}", "{E} lectures are held in {V}.", "room for {E}: {V}", "{E} @ {V}",
                    "I have {E} in {V}"],
             change=["{E} moved to {V}!!", "{E} got moved from {O} to {V}", "{E} is in {V} now, not {O}",
                     "room change for {E}: {V}", "heads up, {E} relocated to {V}"]),
        Attr("lecturer", [V(f"Dr. {n}", f"Dr {n}", f"Prof. {n}", n, tokens=[n.lower()])
                          for n in ("Quennell", "Okoro", "Petrosyan", "Harwood", "Beaumont", "Szabo", "Ferreira",
                                    "Nakagawa", "Albright")],
             state=["{E} is taught by {V}", "{V} teaches {E}", "my {E} lecturer is {V}", "{E} prof: {V}"],
             change=["{V} is taking over {E}", "{E} now taught by {V} (instead of {O})",
                     "{O} left, {V} teaches {E} now", "new lecturer for {E}: {V}"]),
        Attr("day", [V("Mondays and Wednesdays", "Mon/Wed", tokens=["mondays and wednesdays", "mon/wed"]),
                     V("Tuesdays and Thursdays", "Tue/Thu", tokens=["tuesdays and thursdays", "tue/thu"]),
                     V("Wednesday afternoons", "Weds afternoon", tokens=["wednesday afternoon", "weds afternoon"]),
                     V("Friday mornings", "Fri morning", tokens=["friday morning", "fri morning"]),
                     V("Monday evenings", "Mon evening", tokens=["monday evening", "mon evening"]),
                     V("Thursdays at 9am", "Thurs 9am", tokens=["thursdays at 9", "thurs 9am"])],
             state=["{E} meets {V}", "I have {E} on {V}", "{E} is {V}", "{E} lectures: {V}"],
             change=["{E} moved to {V}", "{E} is now {V} instead of {O}", "they changed {E} to {V}",
                     "{E} switched from {O} to {V}"]),
        Attr("exam", [date_value(d, m, 2026 if m == 12 else 2027) for d, m in ((10, 12), (14, 12), (16, 12),
                                                                             (18, 12), (11, 1), (13, 1), (15, 1))],
             state=["{E} final is on {V}", "{E} exam: {V}", "the {E} exam is {V}", "final for {E} = {V}"],
             change=["{E} exam moved to {V}", "{E} final rescheduled from {O} to {V}", "{E} exam is now {V}!!",
                     "registrar moved the {E} final to {V}"]),
        Attr("ta", [V(f, f.split()[0], tokens=[t]) for f, t in (("Rohan Mehta", "rohan"), ("Greta Sorensen", "greta"),
                                                              ("Malik Johnson", "malik"), ("Fiona Leckie", "fiona"),
                                                              ("Tariq Aziz", "tariq"), ("Kasia Kowalczyk", "kasia"))],
             state=["my TA for {E} is {V}", "{V} runs the {E} section", "{E} TA: {V}", "{V} grades {E}"],
             change=["switched {E} sections, TA is {V} now", "{E} TA changed from {O} to {V}",
                     "{V} replaced {O} as {E} TA", "new TA for {E}: {V}"]),
        Attr("deadline", [date_value(d, m, 2026) for d, m in ((13, 10), (20, 10), (27, 10), (10, 11), (17, 11),
                                                               (24, 11), (28, 11))],
             state=["{E} essay due {V}", "{E} coursework deadline: {V}", "hand in {E} project by {V}",
                    "{E} paper is due on {V}"],
             change=["{E} deadline extended to {V}", "{E} essay now due {V} (was {O})",
                     "got an extension on {E}: {V}", "{E} deadline moved from {O} to {V}"]),
        Attr("grade", [V(f"{n}%", f"{n} percent") for n in (58, 64, 71, 77, 83, 88, 92)],
             state=["I'm on {V} in {E}", "{E} grade so far: {V}", "current mark in {E} = {V}",
                    "{E} sitting at {V}"],
             change=["{E} grade updated to {V}", "{E} regraded: {V} (was {O})", "{E} now {V} after the curve",
                     "{E} mark changed from {O} to {V}"]),
    ],
    facts=100,
    noise=["typo", "typo", "abbrev", "nopunct", "shout"],
    prefixes=["ok so ", "remember: ", "note to self - ", "ugh, "],
    suffixes=[" :)", " (check canvas)", " - from the syllabus", " lol"],
    lower_rate=0.35,
    path_of=lambda e, a, r: "/memories/school.md",
    kinds=["fact", None],
    unrelated=["I study best in the library's silent floor before noon.",
               "Bike lock combination is written in the back of my planner.",
               "I want to apply for the summer research placement.",
               "Flashcards in Anki, 20 minutes every morning.",
               "Mum's birthday is in February; order flowers a week ahead.",
               "I prefer bullet-point summaries over long paragraphs.",
               "Gym on days without early lectures.",
               "Student union card renews in September."],
    unrelated_path="/memories/school.md",
    order=by_time,
)


WORLDS = [HOMELAB, PODCAST, LANDLORD, WARD, SHOP, STUDENT]
