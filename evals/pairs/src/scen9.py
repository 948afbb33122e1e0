from common import S, P

D, U, X = "duplicate", "update", "distinct"

PAIRS = {
"pa-maria-family": [
 P("m21", "m22", D, "paraphrase", "Dev doesn't eat beef"),
 P("m27", "m28", D, "paraphrase", "Leo's school and class, terse"),
 P("m95", "m96", D, "paraphrase", "aisle seat"),
 P("m114", "m115", D, "paraphrase", "bin day"),
 P("m12", "m19", X, "path-context", "same blood type, Maria vs Dev"),
 P("m41", "m45", X, "path-context", "same GP, Rosa vs Joaquín"),
 P("m26", "m62", D, "restated", "Dev's penicillin allergy in two files"),
 P(S("Leo swimming: Thursdays 16:30 at Horfield Leisure Centre, Stage 6 (moved from Tuesdays, starting 12 Mar 2026)", "/school/clubs.md", "2026-03-02T07:45"), "m147", U, "value-change", "swim day/time"),
 P("m20", S("dev started at hargreaves engineering monday, left airbus - bath office mon + thu now", "/family/dev.md", "2026-03-06T20:30"), U, "value-change", "employer and office days"),
 P(S("Dev does school drop-off Mon/Thu now; Tue/Wed is Maria", "/schedule/weekly.md", "2026-03-06T20:32"), "m154", U, "value-change", "drop-off days"),
 P(S("- Mateo (Lucía's boy): 18 June", "/family/birthdays.md", "2026-03-06T20:35"), "m9", U, "typo-correction", "8 -> 18 June (a correction, still the later value wins)"),
 P(S("Inés outgrew the tree nut allergy (challenge 11 Mar 2026); still allergic to peanuts, EpiPen stays", "/family/ines.md", "2026-03-11T12:30"), "m36", U, "negation", "one of two allergies gone"),
 P(S("Greta goes down to 3 days from April: Mon, Wed, Fri (she's starting a course)", "/family/greta.md", "2026-03-16T18:00"), "m53", U, "value-change", "nanny days"),
 P("m133", S("new car: skoda enyaq (electric), reg WU24 KXP, insured with admiral - touran's gone", "/car.md", "2026-03-16T18:20"), U, "value-change", "car replaced"),
 P(S("Nothing before 11 at weekends - parkrun then ballet", "/schedule/weekly.md", "2026-03-02T07:55"), S("weekend mornings stay off limits before 11", "/schedule/weekly.md", "2026-03-11T12:50"), D, "paraphrase", "repeated correction"),
 P(S("nothing before 11 sat or sun, that's our lie in", "/schedule/weekly.md", "2026-03-16T18:30"), S("Nothing before 11 at weekends", "/schedule/weekly.md", "2026-03-02T07:55"), D, "paraphrase", "third repetition"),
 P(S("famcal ICS export is always broken - use `famcal list`", "/tools/famcal.md", "2026-03-02T07:42"), "m34", X, "look-alike", "unrelated Monday event"),
 P(S("Leo picked for the school chess team - matches Wednesdays after school till 16:30", "/school/clubs.md", "2026-03-16T18:25"), "m34", X, "compatible", "a new club alongside Cubs"),
 P(S("Kamala arrives Fri 13 Mar 2026 (Temple Meads 17:40), 3 nights; no Navratri so normal veggie", "/family/kamala.md", "2026-03-11T12:55"), "m51", X, "compatible", "visit vs diet rule"),
 P("m30", "m60", X, "look-alike", "two contacts with phone/price details"),
 P("m35", "m29", X, "entity", "school year of each child"),
],
}
