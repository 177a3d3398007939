#!/usr/bin/env python3
"""Generate the English example data for the whole RLHF pipeline: SFT demonstrations, reward-model
preference pairs and PPO prompts, in TRL's JSONL formats, under examples/ (see examples/README.md).

    python3 scripts/make_examples.py            # (re)write examples/{preferences,sft,prompts,qa}/*.jsonl
    python3 scripts/make_examples.py --check    # regenerate into a temp dir; exit 1 if examples/ differs
    python3 scripts/make_examples.py --out DIR  # write somewhere else (--quiet: no report)

Python 3 standard library only. Every random choice comes from random.Random(SEED) (arithmetic facts from
random.Random(SEED + 1)) and every collection is walked in a fixed order, so two runs write byte-identical
files. The run prints a report: counts, the leakage check and the length baseline (recorded in the README).

Output (one JSON object per line, UTF-8, keys in this order, no leading or trailing spaces):
    preferences/{train,test}.jsonl  {"prompt": ..., "chosen": ..., "rejected": ...}  TRL explicit-prompt
                                                                                      preference format
    sft/{train,test}.jsonl          {"prompt": ..., "completion": ...}               TRL prompt-completion
    prompts/{train,test}.jsonl      {"prompt": ...}                                  TRL prompt-only (PPO)
    qa/{train,test}.jsonl           {"prompt": ..., "answer": ..., "family": ...}    prompt-only with the
                                                                                      short correct answer
                                                                                      (GRPO's exact_answer)
The qa files (QA_FIELDS, qa_rows) ask the questions of every family with one short answer, two phrasings
each, on the same entity split (a test entity's questions are only in qa/test.jsonl). Their phrasings may
also appear in the same side's other files: they are the same questions, with their answers.
Sizes are in COUNTS; a prompt plus either answer stays under MAX_WORDS words (MiniLM: < 128 tokens).

Domains and templates. Everything is built from structured facts. A *fact* is one question about one
entity with a known correct answer ("the capital of Kenya"); a *family* (question type) is a set of facts
that share templates; 44 families, 1,219 facts:
    tables (entity, value, a true note):  capitals (74 countries), currencies (52), main languages (45),
        continents (45), landmarks (42), chemical symbols both ways (41 elements), planet order (8),
        baby-animal names (30), animal classes (29), years of events (45), discoveries and inventions (28),
        authors of books (46), irregular past tenses (67 verbs), irregular plurals (42 nouns), antonyms
        and synonyms (42 words), computing acronyms (32);
    hand-written questions (HANDWRITTEN, 173): everyday science, astronomy, the human body, health habits,
        cooking, personal finance, travel advice, home repair, gardening, pets, study skills, workplace
        etiquette, programming concepts, grammar and usage, world records; each with 3 phrasings, a
        correct answer and a common misconception;
    arithmetic (numbers, names and items drawn per fact, answers computed): unit conversions (16 kinds
        and dozens), temperatures, and word problems (packs, equal shares, change, discounts,
        speed/distance/time, averages, areas, recipe scaling, simple interest).
A table family has 5-10 phrasings of its question (direct question, imperative, polite request, casual
lower-case, with some context), and any phrasing may be wrapped once more ("Quick question: ...", "Hi!
...", "... Thanks!", "Sorry if this is basic, but ..."), so one fact yields many distinct prompts. A good
answer is one of 3-5 sentence templates plus, usually, the fact's true note. Every answer, good or bad,
may get an opener ("Sure.", "Good question.", "Well, ...") and a closer ("Hope that helps!"), drawn so
that each opener and closer is as frequent among rejected answers as among chosen ones.

Preference rule. The chosen answer is direct, correct, relevant and polite; the SFT completions are
written by the same code. The rejected answer is one of five failure kinds, assigned at random to
exactly KIND_WEIGHTS of the pairs (test: 20% each; train: 30% kind (b), 17.5% each other kind):
    (a) evasive      a non-answer about the asked topic ("It depends ... check a reliable source");
    (b) wrong        the good answer's own template with a plausible wrong value for THIS question:
                     another entity's value from the same family (a capital, a currency, an author, a
                     year, a continent ...) taken from the TRAINING side, so the value is one the reward
                     model has seen belong to a different entity; a regularised form for grammar
                     ("swimmed", "mouses"); a synonym for an antonym (and vice versa); a fake expansion for
                     an acronym; the wrong operation, factor or formula, with the working shown, for
                     arithmetic; the written misconception for a hand-written question;
    (c) rambling     an anecdote or padding that mentions the topic but never answers, or an off-topic
                     digression quoting an unrelated fact;
    (d) mismatched   a correct, polite answer to a question of another family (same side of the split);
    (e) curt         condescending and unhelpful ("Everyone knows this already ...").
No single word gives the label away. Good answers use hedges where they are true ("It depends on the
destination", "usually", "depending on the context"), rejected ones use polite openers, and each pair
is picked (Balancer) among CANDIDATES renderings of the same fact and kind (other templates, notes,
openers, closers) so that every word appears about as often only in the chosen answer as only in the
rejected one, and the longer answer is the chosen one about half of the time. The report prints the
best single-word rule and the longer-answer baseline.

Split rule. The unit of the split is the entity (a country, an element, a word, a book, an event, a set
of numbers for a word problem, one hand-written question): about TEST_FRACTION of the entities of every
family go to the test side, and everything about a test entity (every family that asks about it, e.g.
its capital, currency, language and continent, every phrasing) is used only in the test files; the
train files only use train entities. Every family appears on both sides, in both preference files.
Every prompt string is used once across all six files, so no prompt is shared between any train and
test file (nor between the files of one side), and prompts/test.jsonl is held out from everything. The
only thing test pairs borrow from the training side is the wrong value of kind (b) ("The capital of Peru
is Madrid"), which is a false claim about the test entity, not a use of a training question. build()
asserts all of this.
"""


import argparse
import collections
import filecmp
import json
import os
import random
import re
import sys
import tempfile

SEED = 20240917
TEST_FRACTION = 0.18
MAX_WORDS = 88  # prompt words + answer words; checked against the real tokenizer to stay < 128 tokens
COUNTS = {  # prompts per file
    "train": {"preferences": 3000, "sft": 600, "prompts": 400},
    "test": {"preferences": 400, "sft": 120, "prompts": 80},
}
KINDS = ["evasive", "wrong", "rambling", "mismatched", "curt"]
# Probability of each rejected kind. The test file draws the five equally; the training file draws the
# wrong-value kind more often, since it is the only one that needs many examples to be learnt (the
# other four are told apart from the chosen answer almost at once).
KIND_WEIGHTS = {"train": {"evasive": 0.175, "wrong": 0.30, "rambling": 0.175, "mismatched": 0.175, "curt": 0.175},
                "test": {k: 0.2 for k in KINDS}}

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


# ----------------------------------------------------------------------------------------------------
# Small text helpers

def cap(s):
    return s[:1].upper() + s[1:]


def art(word):
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def poss(name):
    return name + ("'" if name.endswith("s") else "'s")


def num(x):
    """12000 -> '12,000'; 2.50 -> '2.5'; 3.0 -> '3'."""
    if isinstance(x, float):
        if abs(x - round(x)) < 1e-9:
            x = int(round(x))
        else:
            s = f"{x:,.2f}".rstrip("0").rstrip(".")
            return s
    return f"{x:,}"


def money(x):
    if abs(x - round(x)) < 1e-9:
        return f"${int(round(x)):,}"
    return f"${x:,.2f}"


def join_list(items):
    if len(items) == 1:
        return items[0]
    if len(items) == 2:
        return f"{items[0]} and {items[1]}"
    return ", ".join(items[:-1]) + f" and {items[-1]}"


ELEMENTS_FOR_CASE = [(n,) for n in """hydrogen helium lithium boron carbon nitrogen oxygen fluorine neon sodium
magnesium aluminum silicon phosphorus sulfur chlorine argon potassium calcium titanium chromium manganese iron
cobalt nickel copper zinc bromine krypton silver tin iodine xenon barium tungsten platinum gold mercury lead
radon uranium""".split()]
LOWERABLE = set("""
what what's how who who's which when where why is are can could would will do does did should shall
in on at if for from a an the it it's its this that that's there there's these those they they're
yes no most many much some any each every all both use put try start keep let you you're your
tell name give explain convert work remind plant grow add paying spaced test schedule clean mute
always never usually generally two three four five six seven eight nine ten one cool sit scrub brush
reapply thaw pinch divide multiply take distance area dividing multiplying adding subtracting
start subtract add seriously everyone wow not ask ugh figure honestly people questions let's before
thinking great ah so you'll you've rather just plenty leave lubricate press insulate scrape
sunlight light salt plants water ice day metal sweating astronauts a
chicken dogs cats rabbits hamsters puppies scratching resting leftovers leaving most stir
compound gross net inflation diversification airport airports liquids travel pack get
shift grammar not passive plurals semicolons whose who's e.g. spaced cramming rereading
brushing tomatoes mulch early snake blueberries drainage bees hay unplug schedule
you'd starting scale sharing time adults turn cycling recursion comments rainbows we leaves leap health
guidelines normal tilt sitting lower about baking onions throw pay as sleep twenty often plugs tap pick
stay pour fill small screw squeaky smoke paint midday meat meat, yellowing yellow prune cacti spray pull
break wait read follow bring point compiled arrays open-source open by long sources opinions whenever
puzzles anyone electromagnetic general pasteurization calculus dynamite penicillin insulin radium euro
dolphins penguins snakes newts toads tadpoles lambs fawns cygnets goslings owlets eaglets ducklings
kittens chicks elephant giraffe to of
""".split()) | {e[0] for e in ELEMENTS_FOR_CASE if e[0] != "mercury"}  # Mercury is also a planet


def lower_first(s):
    """Lower-case the first letter if the first word is a common word (listed in LOWERABLE, or any
    capitalised word that the data never capitalises mid-sentence); None for proper nouns, "I",
    acronyms, numbers and quotes."""
    first = s.split(" ", 1)[0].strip(",.?!:")
    if first == "I" or first.startswith("I'"):
        return None
    if first.lower() in LOWERABLE or (re.fullmatch(r"[A-Z][a-z'-]+", first)
                                      and first.split("'")[0] not in proper_nouns()):
        return s[:1].lower() + s[1:]
    return None


_PROPER = None


def proper_nouns():
    """Words that the data capitalises inside a sentence (Paris, Python, Earth, Mercury...), from the
    hand-written questions and the tables' rows and templates."""
    global _PROPER
    if _PROPER is None:
        texts = [HANDWRITTEN] + NAMES
        for t in TABLES:
            texts += [v for row in t.rows for v in row.values() if isinstance(v, str)]
            texts += [v for row in t.rows for v in row.values() if isinstance(v, list) for v in v if isinstance(v, str)]
            if not callable(t.answers):
                texts += t.answers
            if not callable(t.prompts):
                texts += t.prompts
        found = set()
        for t in TABLES:  # names: every capitalised word of a row value that is not a sentence
            for row in t.rows:
                for v in row.values():
                    for v in (v if isinstance(v, list) else [v]):
                        if isinstance(v, str) and not v.endswith("."):
                            found |= set(re.findall(r"\b[A-Z][A-Za-z]*", v))
        for text in texts:
            for sentence in re.split(r"[.!?:]\s+|\n", text):
                tokens = re.findall(r"[A-Za-z][A-Za-z'-]*", sentence)
                for tok in tokens[1:]:
                    if re.fullmatch(r"[A-Z][a-z'-]+", tok) and tok != "I":
                        found.add(tok.split("'")[0])
        _PROPER = (found | set(NAMES) | {p[0] for p in PLANETS} | {"Sun", "Moon", "Earth", "Vatican", "Abraham", "Washington"}) - {"The", "A", "An"}
    return _PROPER


def words(s):
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", s.lower())


# ----------------------------------------------------------------------------------------------------
# Facts

class Fact:
    """One question about one entity, with a correct answer and a way to write a wrong one.

    good(rng) -> body text of a correct answer; wrong(rng, pool) -> body of a wrong answer, where pool is
    the list of training-split facts of the same family (for other entities' values)."""

    def __init__(self, fid, family, domain, split_key, topic, prompts, good, wrong, weight=1):
        self.fid, self.family, self.domain = fid, family, domain
        self.split_key, self.topic, self.prompts = split_key, topic, prompts
        self.good, self.wrong, self.weight = good, wrong, weight
        self.row = None
        self.split = None
        self.params = None  # a generated fact's fields (param_fact)


class Table:
    """A family built from a table of rows (dicts) and templates that use the rows' fields.

    value: the fields that a wrong answer takes from another row (a distractor) of the same family;
    ok(row, other): whether other is a valid distractor for row; derive(row): fills computed fields;
    wrong_fields(row, rng): a fact-specific wrong value instead of a distractor (optional, used with
    probability p_own); fallback(row, rng): the wrong value when no row is a valid distractor."""

    def __init__(self, family, domain, rows, key, topic, prompts, answers, elabs=None, value=(),
                 ok=None, derive=None, wrong_fields=None, p_own=1.0, p_elab=0.7, weight=1, fallback=None):
        self.family, self.domain, self.rows = family, domain, rows
        self.key, self.topic, self.prompts, self.answers = key, topic, prompts, answers
        self.elabs = elabs or (lambda r: [])
        self.value, self.derive = value, derive or (lambda r: r)
        self.ok = ok or (lambda r, o: all(r[f] != o[f] for f in value))
        self.wrong_fields, self.p_own, self.p_elab = wrong_fields, p_own, p_elab
        self.weight = weight
        self.fallback = fallback

    def render(self, rng, row, standalone=False):
        row = self.derive(dict(row))
        answers = self.answers(row) if callable(self.answers) else self.answers
        if standalone:  # only sentences that make sense without the question ("~" marks the others)
            answers = [a for a in answers if not a.startswith("~")]
        text = rng.choice(answers).lstrip("~").format(**row)
        elabs = self.elabs(row)
        if elabs and rng.random() < self.p_elab:
            text += " " + rng.choice(elabs).format(**row)
        return cap(text)

    def facts(self):
        out = []
        for row in self.rows:
            row = self.derive(dict(row))
            key = self.key(row)
            prompts = self.prompts(row) if callable(self.prompts) else self.prompts
            prompts = [cap(p.format(**row)) if not p.startswith("{lc}") else p[4:].format(**row)
                       for p in prompts]
            topic = self.topic.format(**row) if isinstance(self.topic, str) else self.topic(row)

            def good(rng, standalone=False, row=row):
                return self.render(rng, row, standalone)

            def wrong(rng, pool, row=row):
                r2 = dict(row)
                if self.wrong_fields and rng.random() < self.p_own:
                    r2.update(self.wrong_fields(row, rng))
                else:
                    cands = [f.row for f in pool if f.row is not row and self.ok(row, f.row)]
                    if cands:
                        other = rng.choice(cands)
                        for f in self.value:
                            r2[f] = other[f]
                    else:
                        r2.update(self.fallback(row, rng))
                return self.render(rng, r2)

            fact = Fact(f"{self.family}:{key}", self.family, self.domain, key, topic, prompts, good, wrong,
                        self.weight)
            fact.row = row
            out.append(fact)
        return out


# ----------------------------------------------------------------------------------------------------
# Geography and travel tables

# country, capital, region (None: left out), largest (True: the capital is the largest city; a city name:
# the city people often guess instead; None: not stated)
CAPITALS = [
    ("France", "Paris", "Western Europe", True), ("Spain", "Madrid", "Southern Europe", True),
    ("Italy", "Rome", "Southern Europe", True), ("Germany", "Berlin", "Central Europe", True),
    ("Portugal", "Lisbon", "Southern Europe", True), ("Greece", "Athens", "Southern Europe", True),
    ("Ireland", "Dublin", "Western Europe", True), ("Poland", "Warsaw", "Central Europe", True),
    ("Austria", "Vienna", "Central Europe", True), ("Hungary", "Budapest", "Central Europe", True),
    ("the Czech Republic", "Prague", "Central Europe", True), ("Sweden", "Stockholm", "Northern Europe", True),
    ("Norway", "Oslo", "Northern Europe", True), ("Finland", "Helsinki", "Northern Europe", True),
    ("Denmark", "Copenhagen", "Northern Europe", True), ("Belgium", "Brussels", "Western Europe", None),
    ("Switzerland", "Bern", "Central Europe", "Zurich"), ("Romania", "Bucharest", "Southeastern Europe", True),
    ("Bulgaria", "Sofia", "Southeastern Europe", True), ("Croatia", "Zagreb", "Southeastern Europe", True),
    ("Serbia", "Belgrade", "Southeastern Europe", True), ("Ukraine", "Kyiv", "Eastern Europe", True),
    ("Russia", "Moscow", None, True), ("Turkey", "Ankara", None, "Istanbul"),
    ("Egypt", "Cairo", "North Africa", True), ("Kenya", "Nairobi", "East Africa", True),
    ("Nigeria", "Abuja", "West Africa", "Lagos"), ("Ghana", "Accra", "West Africa", None),
    ("Ethiopia", "Addis Ababa", "East Africa", True), ("Morocco", "Rabat", "North Africa", "Casablanca"),
    ("Japan", "Tokyo", "East Asia", True), ("China", "Beijing", "East Asia", "Shanghai"),
    ("South Korea", "Seoul", "East Asia", True), ("India", "New Delhi", "South Asia", None),
    ("Pakistan", "Islamabad", "South Asia", "Karachi"), ("Thailand", "Bangkok", "Southeast Asia", True),
    ("Vietnam", "Hanoi", "Southeast Asia", "Ho Chi Minh City"), ("the Philippines", "Manila", "Southeast Asia", None),
    ("Australia", "Canberra", "Oceania", "Sydney"), ("New Zealand", "Wellington", "Oceania", "Auckland"),
    ("Canada", "Ottawa", "North America", "Toronto"), ("the United States", "Washington, D.C.", "North America", "New York"),
    ("Mexico", "Mexico City", "North America", True), ("Brazil", "Brasília", "South America", "Rio de Janeiro"),
    ("Argentina", "Buenos Aires", "South America", True), ("Chile", "Santiago", "South America", True),
    ("Peru", "Lima", "South America", True), ("Colombia", "Bogotá", "South America", True),
    ("Venezuela", "Caracas", "South America", None), ("Cuba", "Havana", "the Caribbean", True),
    ("Iran", "Tehran", "the Middle East", True), ("Iraq", "Baghdad", "the Middle East", True),
    ("Saudi Arabia", "Riyadh", "the Middle East", True), ("Iceland", "Reykjavík", "Northern Europe", True),
    ("Mongolia", "Ulaanbaatar", "East Asia", True), ("Nepal", "Kathmandu", "South Asia", True),
    ("Bangladesh", "Dhaka", "South Asia", True), ("Afghanistan", "Kabul", None, True),
    ("Uruguay", "Montevideo", "South America", True), ("Ecuador", "Quito", "South America", "Guayaquil"),
    ("Jamaica", "Kingston", "the Caribbean", True), ("Estonia", "Tallinn", "Northern Europe", True),
    ("Latvia", "Riga", "Northern Europe", True), ("Lithuania", "Vilnius", "Northern Europe", True),
    ("Slovakia", "Bratislava", "Central Europe", True), ("Slovenia", "Ljubljana", "Central Europe", True),
    ("Tunisia", "Tunis", "North Africa", True), ("Senegal", "Dakar", "West Africa", True),
    ("Uganda", "Kampala", "East Africa", True), ("Zimbabwe", "Harare", "Southern Africa", True),
    ("Jordan", "Amman", "the Middle East", True), ("Lebanon", "Beirut", "the Middle East", True),
    ("Qatar", "Doha", "the Middle East", True), ("the United Kingdom", "London", "Western Europe", True),
]


def capital_elabs(r):
    out = []
    if r["region"]:
        out += ["{C} is in {region}.", "{cap} is in {region}."]
    if r["largest"] is True:
        out += ["It's also the country's largest city.", "{cap} is also the largest city in {c}."]
    elif isinstance(r["largest"], str):
        out += ["Many people guess {guess}, but that isn't the capital.",
                "It's a common mix-up, because {guess} is bigger and better known.",
                "{guess} is bigger, but it isn't the capital."]
    return out


def capital_derive(r):
    r["C"] = cap(r["c"])
    r["Cs"] = poss(r["C"])
    r["guess"] = r["largest"] if isinstance(r["largest"], str) else ""
    return r


CAPITAL_TABLE = Table(
    "capital", "geography",
    [dict(c=c, cap=k, region=g, largest=l) for c, k, g, l in CAPITALS],
    key=lambda r: "country:" + r["c"].replace("the ", ""),
    topic="the capital of {c}",
    prompts=["What is the capital of {c}?", "What's the capital city of {c}?",
             "Which city is the capital of {c}?", "Tell me the capital of {c}.",
             "Name the capital city of {c}.", "Could you tell me what the capital of {c} is?",
             "I always forget this one: what's the capital of {c}?", "{lc}capital of {c}?",
             "For a geography quiz, what is the capital of {c}?", "Do you know the capital of {c}?"],
    answers=["The capital of {c} is {cap}.", "{cap} is the capital of {c}.", "{Cs} capital is {cap}.",
             "The capital city of {c} is {cap}.", "~That would be {cap}."],
    elabs=capital_elabs, value=("cap",), derive=capital_derive, p_elab=0.8,
    ok=lambda r, o: r["cap"] != o["cap"] and r["region"] != o["region"])  # a capital from another region

# country, currency (with article), note (None: a generic travel tip)
CURRENCIES = [
    ("Japan", "the Japanese yen", None), ("China", "the Chinese yuan, also called the renminbi", None),
    ("India", "the Indian rupee", None), ("the United Kingdom", "the pound sterling", "The UK never adopted the euro."),
    ("the United States", "the US dollar", None), ("Canada", "the Canadian dollar", None),
    ("Australia", "the Australian dollar", None), ("Mexico", "the Mexican peso", None),
    ("Brazil", "the Brazilian real", None),
    ("Switzerland", "the Swiss franc", "Switzerland isn't in the eurozone, though some shops near the borders take euros."),
    ("Sweden", "the Swedish krona", "Sweden is in the EU but has kept its own currency."),
    ("Norway", "the Norwegian krone", None),
    ("Denmark", "the Danish krone", "Denmark is in the EU but has kept its own currency."),
    ("Poland", "the Polish złoty", "Poland is in the EU but hasn't adopted the euro."),
    ("the Czech Republic", "the Czech koruna", "The Czech Republic is in the EU but hasn't adopted the euro."),
    ("Hungary", "the Hungarian forint", "Hungary is in the EU but hasn't adopted the euro."),
    ("Turkey", "the Turkish lira", None), ("South Africa", "the South African rand", None),
    ("Egypt", "the Egyptian pound", None), ("South Korea", "the South Korean won", None),
    ("Thailand", "the Thai baht", None), ("Vietnam", "the Vietnamese dong", None),
    ("Indonesia", "the Indonesian rupiah", None), ("the Philippines", "the Philippine peso", None),
    ("Malaysia", "the Malaysian ringgit", None), ("Saudi Arabia", "the Saudi riyal", None),
    ("the United Arab Emirates", "the UAE dirham", None), ("Morocco", "the Moroccan dirham", None),
    ("Kenya", "the Kenyan shilling", None), ("Nigeria", "the Nigerian naira", None),
    ("Argentina", "the Argentine peso", None), ("Chile", "the Chilean peso", None),
    ("Colombia", "the Colombian peso", None), ("Peru", "the Peruvian sol", None),
    ("Iceland", "the Icelandic króna", None), ("New Zealand", "the New Zealand dollar", None),
    ("Singapore", "the Singapore dollar", None),
    ("Romania", "the Romanian leu", "Romania is in the EU but hasn't adopted the euro."),
    ("Ukraine", "the Ukrainian hryvnia", None), ("Russia", "the Russian ruble", None),
    ("Germany", "the euro", "It's the same currency used across most of the European Union."),
    ("France", "the euro", "It replaced the French franc in 2002."),
    ("Italy", "the euro", "It replaced the Italian lira in 2002."),
    ("Spain", "the euro", "It replaced the Spanish peseta in 2002."),
    ("Portugal", "the euro", "It's the same currency used across most of the European Union."),
    ("Greece", "the euro", "It replaced the Greek drachma in 2002."),
    ("Ireland", "the euro", "It's the same currency used across most of the European Union."),
    ("Austria", "the euro", "It's the same currency used across most of the European Union."),
    ("Finland", "the euro", "Finland is the only Nordic country that uses the euro."),
    ("Croatia", "the euro", "Croatia replaced the kuna with the euro in 2023."),
    ("the Netherlands", "the euro", "It replaced the Dutch guilder in 2002."),
    ("Belgium", "the euro", "It's the same currency used across most of the European Union."),
]
TRAVEL_TIPS = ["It's worth checking the exchange rate before you travel.",
               "Cards are widely used in cities, but it's handy to carry a little cash too.",
               "Airport exchange counters often have poor rates, so compare before you swap money."]

CURRENCY_TABLE = Table(
    "currency", "travel",
    [dict(c=c, cur=k, note=n) for c, k, n in CURRENCIES],
    key=lambda r: "country:" + r["c"].replace("the ", ""),
    topic="the currency in {c}",
    prompts=["What currency is used in {c}?", "What money do they use in {c}?",
             "I'm traveling to {c} next month. What currency should I bring?",
             "Which currency does {c} use?", "What's the local currency in {c}?",
             "Tell me what currency they use in {c}.", "{lc}what currency does {c} use?",
             "If I visit {c}, what currency will I be paying with?",
             "Could you tell me the official currency of {c}?"],
    answers=["{C} uses {cur}.", "The currency of {c} is {cur}.", "In {c}, people pay with {cur}.",
             "The official currency in {c} is {cur}.", "~You'll be paying with {cur}."],
    elabs=lambda r: [r["note"]] if r["note"] else TRAVEL_TIPS,
    value=("cur",), derive=lambda r: dict(r, C=cap(r["c"])), p_elab=0.75)

# country, languages, note
LANGUAGES = [
    ("Brazil", ["Portuguese"], "Brazil is the largest Portuguese-speaking country in the world."),
    ("Mexico", ["Spanish"], "Mexico has more Spanish speakers than any other country."),
    ("Argentina", ["Spanish"], None), ("Japan", ["Japanese"], None),
    ("Egypt", ["Arabic"], "Egyptian Arabic is the everyday spoken variety."),
    ("Austria", ["German"], "Austrian German has quite a few words of its own."),
    ("Iran", ["Persian"], "Persian is also known as Farsi."), ("the Netherlands", ["Dutch"], None),
    ("Poland", ["Polish"], None), ("Greece", ["Greek"], None), ("Turkey", ["Turkish"], None),
    ("Sweden", ["Swedish"], None), ("Thailand", ["Thai"], None), ("Vietnam", ["Vietnamese"], None),
    ("South Korea", ["Korean"], None), ("Portugal", ["Portuguese"], None), ("Chile", ["Spanish"], None),
    ("Colombia", ["Spanish"], None),
    ("Hungary", ["Hungarian"], "Hungarian isn't related to most European languages; it belongs to the Uralic family."),
    ("Finland", ["Finnish", "Swedish"], "Most people speak Finnish, and Swedish is spoken by a small minority."),
    ("Israel", ["Hebrew"], "Arabic is also widely spoken."),
    ("Indonesia", ["Indonesian"], "Hundreds of local languages are spoken as well."),
    ("Ukraine", ["Ukrainian"], None), ("the Czech Republic", ["Czech"], None), ("Denmark", ["Danish"], None),
    ("Norway", ["Norwegian"], None),
    ("Romania", ["Romanian"], "Romanian is a Romance language, related to Italian and French."),
    ("Saudi Arabia", ["Arabic"], None), ("France", ["French"], None), ("Italy", ["Italian"], None),
    ("Germany", ["German"], None),
    ("China", ["Mandarin Chinese"], "Other Chinese languages, such as Cantonese, are widely spoken too."),
    ("Russia", ["Russian"], None), ("Iceland", ["Icelandic"], None),
    ("Bangladesh", ["Bengali"], "Bengali is also called Bangla."),
    ("Switzerland", ["German", "French", "Italian", "Romansh"], "German is the most widely spoken of them."),
    ("Belgium", ["Dutch", "French", "German"], "Dutch is spoken in the north and French in the south."),
    ("Canada", ["English", "French"], "French is mostly spoken in Quebec."),
    ("Peru", ["Spanish"], "Quechua and Aymara are official languages too."),
    ("Kenya", ["Swahili", "English"], None), ("the Philippines", ["Filipino", "English"], None),
    ("Pakistan", ["Urdu", "English"], None), ("Cuba", ["Spanish"], None),
    ("Ireland", ["English", "Irish"], "English is what most people use day to day."),
    ("Nepal", ["Nepali"], None),
]


def language_answers(r):
    if len(r["langs"]) == 1:
        return ["The main language in {c} is {L}.", "People in {c} mainly speak {L}.",
                "In {c}, most people speak {L}.", "The official language of {c} is {L}.", "~That would be {L}."]
    return ["{C} has more than one official language: {L}.", "The official languages of {c} are {L}.",
            "People in {c} speak {L}, which are all official languages."]


LANGUAGE_TABLE = Table(
    "language", "travel",
    [dict(c=c, langs=l, note=n) for c, l, n in LANGUAGES],
    key=lambda r: "country:" + r["c"].replace("the ", ""),
    topic="the languages spoken in {c}",
    prompts=["What language do people speak in {c}?", "What is the main language of {c}?",
             "Which language is spoken in {c}?", "What's the official language of {c}?",
             "I'm going to {c} soon. Which language should I learn a few phrases in?",
             "What language do they speak in {c}?", "{lc}what language is spoken in {c}?",
             "Tell me the main language of {c}."],
    answers=language_answers,
    elabs=lambda r: ["{note}"] if r["note"] else [],
    value=("langs",), ok=lambda r, o: not set(r["langs"]) & set(o["langs"]),
    derive=lambda r: dict(r, C=cap(r["c"]), L=join_list(r["langs"])), p_elab=0.8)

CONTINENTS = [
    ("Kenya", "Africa", "It borders Tanzania to the south."), ("Ghana", "Africa", "It lies on the Gulf of Guinea."),
    ("Namibia", "Africa", "It sits on the Atlantic coast, north of South Africa."),
    ("Zambia", "Africa", "It's a landlocked country in southern Africa."),
    ("Mali", "Africa", "Much of the country lies in the Sahara."),
    ("Madagascar", "Africa", "It's a large island off Africa's southeast coast."),
    ("Chad", "Africa", "It's landlocked, in north-central Africa."),
    ("Botswana", "Africa", "It's landlocked and home to the Okavango Delta."),
    ("Senegal", "Africa", "It's the westernmost country on the African mainland."),
    ("Peru", "South America", "It lies on the Pacific coast."),
    ("Bolivia", "South America", "Along with Paraguay, it's one of the continent's two landlocked countries."),
    ("Paraguay", "South America", "It's landlocked, bordered by Argentina, Brazil and Bolivia."),
    ("Uruguay", "South America", "It sits between Argentina and Brazil."),
    ("Ecuador", "South America", "The equator runs through it, which is how it got its name."),
    ("Guyana", "South America", "It's the only country on the continent with English as its official language."),
    ("Suriname", "South America", "It's the smallest country on the continent."),
    ("Nepal", "Asia", "It sits between China and India."), ("Mongolia", "Asia", "It's landlocked between Russia and China."),
    ("Laos", "Asia", "It's the only landlocked country in Southeast Asia."),
    ("Cambodia", "Asia", "It borders Thailand, Laos and Vietnam."), ("Bhutan", "Asia", "It lies in the eastern Himalayas."),
    ("Sri Lanka", "Asia", "It's an island off the southern tip of India."),
    ("Oman", "Asia", "It's on the southeastern coast of the Arabian Peninsula."),
    ("Jordan", "Asia", "It's in the Middle East, which is part of Asia."),
    ("Uzbekistan", "Asia", "It's in Central Asia."),
    ("Austria", "Europe", "It's a landlocked country in the Alps."),
    ("Slovakia", "Europe", "It's a landlocked country in Central Europe."),
    ("Belarus", "Europe", "It borders Poland, Lithuania, Latvia, Russia and Ukraine."),
    ("Estonia", "Europe", "It's the northernmost of the three Baltic states."),
    ("Luxembourg", "Europe", "It's a small country between Belgium, France and Germany."),
    ("Portugal", "Europe", "It's on the Iberian Peninsula, next to Spain."),
    ("Iceland", "Europe", "It's an island in the North Atlantic."),
    ("Malta", "Europe", "It's an island country in the Mediterranean, south of Sicily."),
    ("Honduras", "North America", "Central America is usually counted as part of North America."),
    ("Guatemala", "North America", "It's in Central America, which is usually counted as part of North America."),
    ("Costa Rica", "North America", "It's in Central America, which is usually counted as part of North America."),
    ("Nicaragua", "North America", "Central America is usually counted as part of North America."),
    ("Panama", "North America", "It's at the southern end of Central America, which is usually counted as part of North America."),
    ("Cuba", "North America", "The Caribbean islands are usually counted as part of North America."),
    ("Jamaica", "North America", "The Caribbean islands are usually counted as part of North America."),
    ("Fiji", "Oceania", "It's an island nation in the South Pacific."), ("Samoa", "Oceania", "It's in the South Pacific."),
    ("Papua New Guinea", "Oceania", "It shares the island of New Guinea with Indonesia."),
    ("Tonga", "Oceania", "It's an archipelago in the South Pacific."),
    ("Vanuatu", "Oceania", "It's a chain of islands in the South Pacific."),
]

CONTINENT_TABLE = Table(
    "continent", "geography",
    [dict(c=c, cont=k, note=n) for c, k, n in CONTINENTS],
    key=lambda r: "country:" + r["c"],
    topic="which continent {c} belongs to",
    prompts=["Which continent is {c} in?", "What continent is {c} on?", "On which continent would I find {c}?",
             "Tell me which continent {c} is part of.", "I'm looking at a map. What continent is {c} on?",
             "{c} is on which continent?", "{lc}which continent is {c} in?",
             "Could you tell me what continent {c} belongs to?"],
    answers=["{c} is in {cont}.", "{c} is a country in {cont}.", "You'll find {c} in {cont}.",
             "{c} is part of {cont}.", "~That would be {cont}."],
    elabs=lambda r: ["{note}"], value=("cont",), p_elab=0.8)

# name (with article), where (a phrase after "is"), country, note
LANDMARKS = [
    ("the Eiffel Tower", "in Paris, France", "France", "It was completed in 1889 for a world's fair."),
    ("the Colosseum", "in Rome, Italy", "Italy", "It's an ancient amphitheater that held tens of thousands of spectators."),
    ("the Taj Mahal", "in Agra, India", "India", "It was built by the Mughal emperor Shah Jahan as a tomb for his wife."),
    ("Machu Picchu", "in the Andes mountains of Peru", "Peru", "It's a 15th-century Inca citadel."),
    ("the Statue of Liberty", "in New York Harbor, in the United States", "United States", "It was a gift from France, dedicated in 1886."),
    ("the Sydney Opera House", "in Sydney, Australia", "Australia", "It opened in 1973."),
    ("Big Ben", "in London, in the United Kingdom", "United Kingdom", "Strictly speaking, Big Ben is the great bell inside the clock tower."),
    ("Christ the Redeemer", "in Rio de Janeiro, Brazil", "Brazil", "The statue stands on top of Corcovado mountain."),
    ("the Acropolis", "in Athens, Greece", "Greece", "Its best-known building is the Parthenon."),
    ("Petra", "in southern Jordan", "Jordan", "It's an ancient city carved into rose-colored sandstone cliffs."),
    ("Angkor Wat", "in Cambodia, near the city of Siem Reap", "Cambodia", "It's the largest religious monument in the world."),
    ("Chichén Itzá", "on Mexico's Yucatán Peninsula", "Mexico", "It was a major city of the Maya."),
    ("the Sagrada Família", "in Barcelona, Spain", "Spain", "Construction began in 1882, and Antoni Gaudí worked on it for decades."),
    ("Neuschwanstein Castle", "in Bavaria, in southern Germany", "Germany", "It was built for King Ludwig II in the 19th century."),
    ("the Leaning Tower of Pisa", "in Pisa, Italy", "Italy", "It began to lean during construction in the 12th century."),
    ("Stonehenge", "in Wiltshire, in southern England", "United Kingdom", "It's a prehistoric stone circle thousands of years old."),
    ("Mount Fuji", "in Japan, on the island of Honshu", "Japan", "It's the country's highest mountain."),
    ("Table Mountain", "in Cape Town, South Africa", "South Africa", "Its flat top overlooks the city and the harbor."),
    ("the Golden Gate Bridge", "in San Francisco, California", "United States", "It opened in 1937."),
    ("the Burj Khalifa", "in Dubai, in the United Arab Emirates", "United Arab Emirates", "It's the tallest building in the world."),
    ("the Alhambra", "in Granada, Spain", "Spain", "It's a palace and fortress complex built mainly by the Nasrid rulers."),
    ("the Forbidden City", "in Beijing, China", "China", "It was the imperial palace of the Ming and Qing emperors."),
    ("Hagia Sophia", "in Istanbul, Turkey", "Turkey", "It was completed in 537 as a cathedral."),
    ("the Grand Canyon", "in Arizona, in the United States", "United States", "It was carved by the Colorado River."),
    ("Victoria Falls", "on the border between Zambia and Zimbabwe", "Zambia", "It's on the Zambezi River."),
    ("the Great Barrier Reef", "off the coast of Queensland, Australia", "Australia", "It's the world's largest coral reef system."),
    ("Mount Kilimanjaro", "in Tanzania", "Tanzania", "It's the highest mountain in Africa."),
    ("Uluru", "in Australia's Northern Territory", "Australia", "It's a huge sandstone monolith sacred to the local Anangu people."),
    ("the Louvre", "in Paris, France", "France", "It's home to the Mona Lisa."),
    ("the Brandenburg Gate", "in Berlin, Germany", "Germany", "It was completed in 1791."),
    ("the Moai statues", "on Easter Island, which belongs to Chile", "Chile", "They were carved by the Rapa Nui people."),
    ("the Galápagos Islands", "in the Pacific Ocean, and they belong to Ecuador", "Ecuador", "Their wildlife helped shape Charles Darwin's ideas."),
    ("Mont-Saint-Michel", "in Normandy, France", "France", "It's a tidal island topped by an abbey."),
    ("the Charles Bridge", "in Prague, in the Czech Republic", "Czech Republic", "It crosses the Vltava River."),
    ("Tower Bridge", "in London, in the United Kingdom", "United Kingdom", "It crosses the River Thames near the Tower of London."),
    ("the Little Mermaid statue", "in Copenhagen, Denmark", "Denmark", "It's based on the fairy tale by Hans Christian Andersen."),
    ("Borobudur", "on the island of Java, in Indonesia", "Indonesia", "It's the largest Buddhist temple in the world."),
    ("the Pyramids of Giza", "just outside Cairo, in Egypt", "Egypt", "The Great Pyramid is more than 4,500 years old."),
    ("the Great Wall", "in northern China", "China", "It was built and rebuilt over many centuries."),
    ("Niagara Falls", "on the border between Canada and the United States", "Canada", "It's made up of three waterfalls."),
    ("the Matterhorn", "in the Alps, on the border between Switzerland and Italy", "Switzerland", "It's one of the most famous peaks in the Alps."),
    ("the Atomium", "in Brussels, Belgium", "Belgium", "It was built for the 1958 world's fair."),
]


PLURAL_LANDMARKS = {"the Moai statues", "the Galápagos Islands", "the Pyramids of Giza"}


def landmark_derive(r):
    r["Lc"] = cap(r["L"])
    w = r["where"]
    r["where_go"] = "to " + w[3:] if w.startswith("in ") else w
    plural = r["L"] in PLURAL_LANDMARKS
    r["verb"], r["it"] = ("are", "they") if plural else ("is", "it")
    return r


LANDMARK_TABLE = Table(
    "landmark", "geography",
    [dict(L=l, where=w, country=c, note=n) for l, w, c, n in LANDMARKS],
    key=lambda r: "landmark:" + r["L"],
    topic="the location of {L}",
    prompts=["Where {verb} {L}?", "Which country {verb} {L} in?", "Where can I find {L}?",
             "Where would I go to see {L}?", "I'd love to visit {L} someday. Where {verb} {it}?",
             "In which country {verb} {L} located?", "{lc}where {verb} {L}?", "Tell me where {L} {verb}."],
    answers=["{Lc} {verb} {where}.", "You'll find {L} {where}.", "{Lc} {verb} located {where}.",
             "~To see {L}, you'd go {where_go}."],
    elabs=lambda r: ["{note}"], value=("where",), ok=lambda r, o: r["country"] != o["country"],
    derive=landmark_derive, p_elab=0.85)


# ----------------------------------------------------------------------------------------------------
# Science, animals

# name, symbol, atomic number, Latin name (or None)
ELEMENTS = [
    ("hydrogen", "H", 1, None), ("helium", "He", 2, None), ("lithium", "Li", 3, None), ("boron", "B", 5, None),
    ("carbon", "C", 6, None), ("nitrogen", "N", 7, None), ("oxygen", "O", 8, None), ("fluorine", "F", 9, None),
    ("neon", "Ne", 10, None), ("sodium", "Na", 11, "natrium"), ("magnesium", "Mg", 12, None),
    ("aluminum", "Al", 13, None), ("silicon", "Si", 14, None), ("phosphorus", "P", 15, None),
    ("sulfur", "S", 16, None), ("chlorine", "Cl", 17, None), ("argon", "Ar", 18, None),
    ("potassium", "K", 19, "kalium"), ("calcium", "Ca", 20, None), ("titanium", "Ti", 22, None),
    ("chromium", "Cr", 24, None), ("manganese", "Mn", 25, None), ("iron", "Fe", 26, "ferrum"),
    ("cobalt", "Co", 27, None), ("nickel", "Ni", 28, None), ("copper", "Cu", 29, "cuprum"),
    ("zinc", "Zn", 30, None), ("bromine", "Br", 35, None), ("krypton", "Kr", 36, None),
    ("silver", "Ag", 47, "argentum"), ("tin", "Sn", 50, "stannum"), ("iodine", "I", 53, None),
    ("xenon", "Xe", 54, None), ("barium", "Ba", 56, None), ("tungsten", "W", 74, "wolfram"),
    ("platinum", "Pt", 78, None), ("gold", "Au", 79, "aurum"), ("mercury", "Hg", 80, "hydrargyrum"),
    ("lead", "Pb", 82, "plumbum"), ("radon", "Rn", 86, None), ("uranium", "U", 92, None),
]


def element_elabs(r):
    out = ["Its atomic number is {n}.", "It's element number {n}."]
    if r["latin"]:
        if r["e"] == "tungsten":
            out.append("The symbol comes from its other name, wolfram.")
        else:
            out.append("The symbol comes from its Latin name, {latin}.")
    return out


ELEMENT_ROWS = [dict(e=e, S=s, n=n, latin=l) for e, s, n, l in ELEMENTS]
SYMBOL_TABLE = Table(
    "element_symbol", "science", ELEMENT_ROWS,
    key=lambda r: "element:" + r["e"], topic="the symbol for {e}",
    prompts=["What is the chemical symbol for {e}?", "What's the symbol for {e} on the periodic table?",
             "Which letters stand for {e} on the periodic table?", "Give me the chemical symbol of {e}.",
             "What symbol do chemists use for {e}?", "{lc}chemical symbol for {e}?",
             "In chemistry, how do you write {e} as a symbol?"],
    answers=["The chemical symbol for {e} is {S}.", "{E} has the symbol {S}.",
             "On the periodic table, {e} is written as {S}.", "~That would be {S}."],
    elabs=element_elabs, value=("S",), derive=lambda r: dict(r, E=cap(r["e"])), p_elab=0.8)

ELEMENT_NAME_TABLE = Table(
    "symbol_element", "science", ELEMENT_ROWS,
    key=lambda r: "element:" + r["e"], topic="what the symbol {S} stands for",
    prompts=["Which element has the symbol {S}?", "What element does the symbol {S} stand for?",
             "On the periodic table, which element is {S}?", "What's the element with the chemical symbol {S}?",
             "Tell me which element is written as {S}.", "Chemistry homework: which element is {S}?"],
    answers=["{S} is the symbol for {e}.", "The element with the symbol {S} is {e}.",
             "{S} stands for {e}.", "~That would be {e}."],
    elabs=element_elabs, value=("e", "n", "latin"), p_elab=0.8)

PLANETS = [
    ("Mercury", "first", "It's also the smallest planet."),
    ("Venus", "second", "It's the hottest planet, because its thick atmosphere traps heat."),
    ("Earth", "third", "It's the only planet known to support life."),
    ("Mars", "fourth", "It's often called the Red Planet."),
    ("Jupiter", "fifth", "It's the largest planet in the solar system."),
    ("Saturn", "sixth", "It's famous for its bright rings."),
    ("Uranus", "seventh", "It spins on its side, tilted almost 98 degrees."),
    ("Neptune", "eighth", "It's the farthest planet from the Sun."),
]
PLANET_TABLE = Table(
    "planet_order", "science",
    [dict(P=p, o=o, note=n) for p, o, n in PLANETS],
    key=lambda r: "planet:" + r["P"], topic="the order of the planets",
    prompts=["Which planet is {o} from the Sun?", "What's the {o} planet from the Sun?",
             "Name the {o} planet in our solar system.", "Counting outward from the Sun, which planet comes {o}?",
             "Which planet is {o} in line from the Sun?",
             "Astronomy question: what is the {o} planet from the Sun?"],
    answers=["{P} is the {o} planet from the Sun.", "The {o} planet from the Sun is {P}."],
    elabs=lambda r: ["{note}"], value=("P",), p_elab=0.9)

# animal, baby name, note
BABIES = [
    ("kangaroo", "joey", "It lives in its mother's pouch for several months."), ("cow", "calf", None),
    ("sheep", "lamb", None), ("goat", "kid", None),
    ("horse", "foal", "A young female is a filly and a young male is a colt."), ("deer", "fawn", None),
    ("swan", "cygnet", None), ("goose", "gosling", None),
    ("frog", "tadpole", "Tadpoles live in water and breathe through gills."), ("owl", "owlet", None),
    ("bear", "cub", None), ("pig", "piglet", None), ("duck", "duckling", None), ("eagle", "eaglet", None),
    ("hare", "leveret", None), ("seal", "pup", None),
    ("elephant", "calf", "Elephant calves weigh around 100 kilograms at birth."), ("whale", "calf", None),
    ("butterfly", "caterpillar", "After the caterpillar stage it becomes a chrysalis."), ("cat", "kitten", None),
    ("dog", "puppy", None), ("chicken", "chick", None), ("fox", "kit", "'Cub' is also used."),
    ("rabbit", "kit", "'Kitten' and 'bunny' are also common."), ("turkey", "poult", None), ("beaver", "kit", None),
    ("penguin", "chick", None), ("zebra", "foal", None),
    ("giraffe", "calf", "A newborn giraffe is already about 1.8 meters tall."), ("lion", "cub", None),
]
BABY_TABLE = Table(
    "baby_animal", "animals",
    [dict(a=a, b=b, note=n) for a, b, n in BABIES],
    key=lambda r: "animal:" + r["a"], topic="what a baby {a} is called",
    prompts=["What is a baby {a} called?", "What do you call a young {a}?", "What's the name for a baby {a}?",
             "Tell me what a baby {a} is called.", "My kid wants to know: what's a baby {a} called?",
             "{lc}what do you call a baby {a}?", "Is there a special word for a baby {a}?"],
    answers=["A baby {a} is called {ab}.", "A young {a} is known as {ab}.", "~It's called {ab}.",
             "~That would be {ab}."],
    elabs=lambda r: ["{note}"] if r["note"] else [], value=("b",),
    derive=lambda r: dict(r, ab=art(r["b"])), p_elab=0.9)

# animal, class, note
CLASSES = [
    ("whale", "mammal", "It breathes air and feeds its young on milk, even though it lives in the ocean."),
    ("dolphin", "mammal", "Dolphins breathe air through a blowhole and nurse their young."),
    ("bat", "mammal", "It's the only mammal capable of true flight."),
    ("penguin", "bird", "Penguins can't fly, but they have feathers and lay eggs."),
    ("ostrich", "bird", "It's the largest living bird, though it can't fly."),
    ("crocodile", "reptile", "It has scaly skin and lays its eggs on land."),
    ("frog", "amphibian", "It starts life as a tadpole in water."),
    ("salamander", "amphibian", "It has moist skin and usually lays its eggs in water."),
    ("shark", "fish", "Its skeleton is made of cartilage instead of bone."),
    ("seahorse", "fish", "Unusually, the male carries the eggs until they hatch."),
    ("platypus", "mammal", "It's one of the few mammals that lay eggs."),
    ("turtle", "reptile", "Even sea turtles come ashore to lay their eggs."),
    ("snake", "reptile", "Snakes have scaly skin and no legs."),
    ("axolotl", "amphibian", "It keeps its feathery gills into adulthood."),
    ("emu", "bird", "It's a large flightless bird native to Australia."),
    ("newt", "amphibian", "Newts spend part of their lives in water and part on land."),
    ("eel", "fish", "Despite its snake-like shape, it breathes through gills."),
    ("manatee", "mammal", "It's sometimes called a sea cow."),
    ("gecko", "reptile", "Many geckos can climb smooth walls."),
    ("kiwi", "bird", "It's a small flightless bird from New Zealand."),
    ("koala", "mammal", "It's a marsupial, so its young grow in a pouch."),
    ("chameleon", "reptile", "It's famous for changing color."),
    ("toad", "amphibian", "Toads usually have drier, bumpier skin than frogs."),
    ("tuna", "fish", "Some tuna can swim faster than 60 kilometers per hour."),
    ("walrus", "mammal", "It uses its long tusks to haul itself onto the ice."),
    ("tortoise", "reptile", "Some tortoises live for more than 100 years."),
    ("puffin", "bird", "It's a seabird that nests in burrows on cliffs."),
    ("flamingo", "bird", "Its pink color comes from pigments in its food."),
    ("hedgehog", "mammal", "It's covered in spines and often hibernates in winter."),
]
CLASS_TABLE = Table(
    "animal_class", "animals",
    [dict(a=a, cl=c, note=n) for a, c, n in CLASSES],
    key=lambda r: "animal:" + r["a"], topic="which animal group the {a} belongs to",
    prompts=["What kind of animal is {aa}?", "Is {aa} a mammal, bird, reptile, amphibian or fish?",
             "Which animal class does the {a} belong to?", "What type of animal is the {a}?",
             "Biology homework: what class of animal is {aa}?", "{lc}what kind of animal is {aa}?",
             "Could you tell me which animal group the {a} is in?"],
    answers=["{Aa} is {acl}.", "The {a} is {acl}.", "{Aa} counts as {acl}.", "~It's {acl}."],
    elabs=lambda r: ["{note}"], value=("cl",),
    derive=lambda r: dict(r, aa=art(r["a"]), Aa=cap(art(r["a"])), acl=art(r["cl"])), p_elab=0.9)

# ----------------------------------------------------------------------------------------------------
# History

# key, prompts, topic, answer template ({year}), year, note
EVENTS = [
    ("moon-landing", ["When did humans first land on the Moon?", "What year was the first Moon landing?",
                      "In what year did Apollo 11 land on the Moon?"], "the first Moon landing",
     "The first crewed Moon landing was Apollo 11, in July {year}.", 1969,
     "Neil Armstrong and Buzz Aldrin walked on the surface while Michael Collins stayed in orbit."),
    ("berlin-wall", ["When did the Berlin Wall fall?", "What year did the Berlin Wall come down?",
                     "In which year was the Berlin Wall opened?"], "the fall of the Berlin Wall",
     "The Berlin Wall fell on 9 November {year}.", 1989, "Germany was reunified the following year."),
    ("ww2-end", ["When did World War II end?", "What year did the Second World War end?",
                 "In what year did WWII come to an end?"], "the end of World War II",
     "World War II ended in {year}.", 1945, "Germany surrendered in May and Japan formally surrendered in September."),
    ("ww1-start", ["When did World War I begin?", "What year did the First World War start?",
                   "In what year did WWI break out?"], "the start of World War I",
     "World War I began in {year}.", 1914,
     "It was triggered by the assassination of Archduke Franz Ferdinand in Sarajevo."),
    ("ww1-end", ["When did World War I end?", "What year did the First World War end?",
                 "In what year was the armistice that ended WWI signed?"], "the end of World War I",
     "World War I ended with the armistice of 11 November {year}.", 1918, "The Treaty of Versailles followed in 1919."),
    ("us-independence", ["When was the US Declaration of Independence signed?",
                         "What year did the United States declare independence?",
                         "In what year was the Declaration of Independence adopted?"], "American independence",
     "The Declaration of Independence was adopted on 4 July {year}.", 1776,
     "That's why Americans celebrate Independence Day on the Fourth of July."),
    ("french-revolution", ["When did the French Revolution start?", "What year did the French Revolution begin?",
                           "In what year was the Bastille stormed?"], "the French Revolution",
     "The French Revolution began in {year}.", 1789,
     "The storming of the Bastille on 14 July is often taken as its start."),
    ("titanic", ["When did the Titanic sink?", "What year did the Titanic go down?",
                 "In which year did the Titanic hit an iceberg?"], "the sinking of the Titanic",
     "The Titanic sank in April {year}, on its first voyage.", 1912, "More than 1,500 people died."),
    ("columbus", ["When did Columbus first reach the Americas?", "What year did Christopher Columbus arrive in the Americas?",
                  "In which year did Columbus make his first voyage across the Atlantic?"], "Columbus's first voyage",
     "Christopher Columbus first reached the Caribbean in {year}.", 1492, "Columbus landed in the Bahamas in October."),
    ("magna-carta", ["When was the Magna Carta signed?", "What year was the Magna Carta agreed?",
                     "In which year did King John seal the Magna Carta?"], "the Magna Carta",
     "King John of England agreed to the Magna Carta in {year}.", 1215,
     "It limited the king's power and influenced later ideas about the rule of law."),
    ("hastings", ["When was the Battle of Hastings?", "What year did the Battle of Hastings take place?",
                  "In which year did William the Conqueror win at Hastings?"], "the Battle of Hastings",
     "The Battle of Hastings was fought in {year}.", 1066,
     "William of Normandy defeated King Harold II and became King of England."),
    ("ussr-end", ["When did the Soviet Union collapse?", "What year was the USSR dissolved?",
                  "In which year did the Soviet Union break up?"], "the end of the Soviet Union",
     "The Soviet Union was formally dissolved in December {year}.", 1991, "It split into 15 independent countries."),
    ("mandela-release", ["When was Nelson Mandela released from prison?", "What year did Nelson Mandela get out of prison?",
                         "In which year was Mandela freed?"], "Nelson Mandela's release",
     "Nelson Mandela was released from prison in February {year}.", 1990, "Mandela had spent 27 years in prison."),
    ("mandela-president", ["When did Nelson Mandela become president of South Africa?",
                           "What year was Mandela elected president?",
                           "In which year did South Africa hold its first fully democratic election?"],
     "Mandela's presidency", "Nelson Mandela became president of South Africa in {year}.", 1994,
     "It followed the country's first fully democratic election."),
    ("olympics", ["When were the first modern Olympic Games held?", "What year did the modern Olympics begin?",
                  "In which year were the first modern Olympics in Athens?"], "the first modern Olympics",
     "The first modern Olympic Games were held in Athens in {year}.", 1896,
     "The Games were revived by the French educator Pierre de Coubertin."),
    ("great-fire", ["When was the Great Fire of London?", "What year did the Great Fire of London happen?",
                    "In which year did London burn in the Great Fire?"], "the Great Fire of London",
     "The Great Fire of London broke out in September {year}.", 1666,
     "It started in a bakery on Pudding Lane and burned for several days."),
    ("euro-cash", ["When were euro notes and coins introduced?", "What year did euro cash come into use?",
                   "In which year could people first pay with euro coins?"], "euro notes and coins",
     "Euro notes and coins came into circulation on 1 January {year}.", 2002,
     "The euro itself was launched in 1999 for electronic payments."),
    ("wall-street-crash", ["When was the Wall Street Crash?", "What year did the stock market crash that started the Great Depression?",
                           "In which year did the Wall Street Crash happen?"], "the Wall Street Crash",
     "The Wall Street Crash happened in October {year}.", 1929, "It helped set off the Great Depression."),
    ("india-independence", ["When did India become independent?", "What year did India gain independence?",
                            "In which year did India become independent from Britain?"], "Indian independence",
     "India became independent on 15 August {year}.", 1947, "The same day is celebrated every year as Independence Day."),
    ("un-founded", ["When was the United Nations founded?", "What year was the UN created?",
                    "In which year did the United Nations come into existence?"], "the founding of the UN",
     "The United Nations was founded in October {year}.", 1945, "It started with 51 member states."),
    ("sputnik", ["When was Sputnik launched?", "What year did the first artificial satellite go into orbit?",
                 "In which year did the Soviet Union launch Sputnik 1?"], "the launch of Sputnik",
     "Sputnik 1, the first artificial satellite, was launched in October {year}.", 1957,
     "Its launch kicked off the space race."),
    ("chernobyl", ["When did the Chernobyl disaster happen?", "What year was the Chernobyl accident?",
                   "In which year did the Chernobyl reactor explode?"], "the Chernobyl disaster",
     "The Chernobyl disaster happened in April {year}.", 1986, "A reactor exploded at the plant in what is now Ukraine."),
    ("civil-war-end", ["When did the American Civil War end?", "What year did the US Civil War end?",
                       "In which year did the American Civil War come to an end?"], "the end of the American Civil War",
     "The American Civil War ended in {year}.", 1865, "It had begun four years earlier, in 1861."),
    ("emancipation", ["When was the Emancipation Proclamation issued?", "What year did Lincoln issue the Emancipation Proclamation?",
                      "In which year did the Emancipation Proclamation take effect?"], "the Emancipation Proclamation",
     "Abraham Lincoln issued the Emancipation Proclamation on 1 January {year}.", 1863,
     "It declared enslaved people in the Confederate states to be free."),
    ("95-theses", ["When did Martin Luther publish his 95 Theses?", "What year did the Protestant Reformation begin?",
                   "In which year did Luther post the 95 Theses?"], "Martin Luther's 95 Theses",
     "Martin Luther published his 95 Theses in {year}.", 1517,
     "The event is traditionally seen as the start of the Protestant Reformation."),
    ("russian-revolution", ["When was the Russian Revolution?", "What year did the Russian Revolution happen?",
                            "In which year did the Bolsheviks take power in Russia?"], "the Russian Revolution",
     "The Russian Revolution took place in {year}.", 1917, "The Bolsheviks seized power that October."),
    ("pearl-harbor", ["When was the attack on Pearl Harbor?", "What year did Japan attack Pearl Harbor?",
                      "In which year was Pearl Harbor bombed?"], "the attack on Pearl Harbor",
     "Japan attacked Pearl Harbor on 7 December {year}.", 1941, "The next day the United States entered World War II."),
    ("d-day", ["When was D-Day?", "What year were the D-Day landings?", "In which year did the Allies land in Normandy?"],
     "the D-Day landings", "The D-Day landings in Normandy took place on 6 June {year}.", 1944,
     "It was the largest seaborne invasion in history."),
    ("gagarin", ["When did the first person go to space?", "What year did Yuri Gagarin fly into space?",
                 "In which year did a human first orbit Earth?"], "the first human spaceflight",
     "Yuri Gagarin became the first person in space in April {year}.", 1961, "Gagarin orbited Earth once in about 108 minutes."),
    ("wright-flight", ["When did the Wright brothers make their first flight?", "What year was the first powered airplane flight?",
                       "In which year did the Wright brothers first fly?"], "the first powered flight",
     "The Wright brothers made the first powered airplane flight in December {year}.", 1903,
     "It took place near Kitty Hawk, North Carolina, and lasted 12 seconds."),
    ("constantinople", ["When did Constantinople fall to the Ottomans?", "What year did the Ottomans capture Constantinople?",
                        "In which year did the Byzantine Empire fall?"], "the fall of Constantinople",
     "Constantinople fell to the Ottoman Empire in {year}.", 1453, "Constantinople, the Byzantine capital, is now called Istanbul."),
    ("armada", ["When did the Spanish Armada sail against England?", "What year was the Spanish Armada defeated?",
                "In which year did the Spanish Armada attack England?"], "the Spanish Armada",
     "The Spanish Armada sailed against England in {year}.", 1588, "Storms and English ships scattered the fleet."),
    ("waterloo", ["When was the Battle of Waterloo?", "What year was Napoleon defeated at Waterloo?",
                  "In which year did the Battle of Waterloo take place?"], "the Battle of Waterloo",
     "The Battle of Waterloo was fought on 18 June {year}.", 1815, "It ended Napoleon's rule as emperor of France."),
    ("versailles", ["When was the Treaty of Versailles signed?", "What year was the Treaty of Versailles?",
                    "In which year did the Treaty of Versailles get signed?"], "the Treaty of Versailles",
     "The Treaty of Versailles was signed in June {year}.", 1919, "It formally ended the war between Germany and the Allies."),
    ("prc-founded", ["When was the People's Republic of China founded?", "What year was the People's Republic of China proclaimed?",
                     "In which year did the People's Republic of China begin?"], "the founding of the People's Republic of China",
     "The People's Republic of China was proclaimed on 1 October {year}.", 1949, "Mao Zedong announced it in Beijing."),
    ("iphone", ["When did the first iPhone come out?", "What year was the original iPhone released?",
                "In which year did Apple launch the first iPhone?"], "the first iPhone",
     "The first iPhone went on sale in June {year}.", 2007, "Steve Jobs had introduced it that January."),
    ("genome", ["When was the Human Genome Project completed?", "What year did scientists finish mapping the human genome?",
                "In which year was the Human Genome Project declared complete?"], "the Human Genome Project",
     "The Human Genome Project was declared complete in April {year}.", 2003,
     "It had taken about 13 years to sequence the human genome."),
    ("cuban-missile", ["When was the Cuban Missile Crisis?", "What year did the Cuban Missile Crisis happen?",
                       "In which year were the US and the USSR in the Cuban Missile Crisis?"], "the Cuban Missile Crisis",
     "The Cuban Missile Crisis took place in October {year}.", 1962, "It lasted 13 days."),
    ("korean-war", ["When did the Korean War start?", "What year did the Korean War begin?",
                    "In which year did North Korea invade South Korea?"], "the start of the Korean War",
     "The Korean War began in June {year}.", 1950, "Fighting ended with an armistice in 1953."),
    ("good-friday", ["When was the Good Friday Agreement signed?", "What year was the Good Friday Agreement?",
                     "In which year was Northern Ireland's Good Friday Agreement reached?"], "the Good Friday Agreement",
     "The Good Friday Agreement was signed in April {year}.", 1998,
     "It largely ended decades of conflict in Northern Ireland."),
    ("slavery-abolition", ["When did Britain abolish slavery?", "What year was the Slavery Abolition Act passed?",
                           "In which year did the British Parliament pass the Slavery Abolition Act?"],
     "the abolition of slavery in the British Empire",
     "The Slavery Abolition Act was passed in {year}.", 1833, "It came into force across most of the British Empire in 1834."),
    ("nz-suffrage", ["When did women first get the vote in New Zealand?",
                     "When did New Zealand give women the right to vote?",
                     "What year did women in New Zealand win the vote?"], "women's suffrage in New Zealand",
     "New Zealand gave women the vote in {year}, the first self-governing country to do so.", 1893,
     "The campaign was led by Kate Sheppard."),
    ("pompeii", ["When did Vesuvius destroy Pompeii?", "What year did Mount Vesuvius erupt and bury Pompeii?",
                 "In which year was Pompeii buried by the eruption of Vesuvius?"], "the eruption that buried Pompeii",
     "Mount Vesuvius erupted and buried Pompeii in AD {year}.", 79, "The ash preserved the town in remarkable detail."),
    ("nine-eleven", ["When did the September 11 attacks happen?", "What year were the 9/11 attacks?",
                     "In which year were the Twin Towers destroyed?"], "the September 11 attacks",
     "The September 11 attacks happened in {year}.", 2001, "Nearly 3,000 people were killed."),
    ("brexit-vote", ["When did the UK vote to leave the EU?", "What year was the Brexit referendum?",
                     "In which year did Britain hold its referendum on EU membership?"], "the Brexit referendum",
     "The UK voted to leave the European Union in a referendum in June {year}.", 2016,
     "The UK formally left at the end of January 2020."),
]


def year_ok(r, o):
    return 40 <= abs(r["year"] - o["year"]) <= 250


def year_wrong(r, rng):
    # used only when no other event is within 250 years (Pompeii)
    return {"year": r["year"] + rng.choice([-30, -20, 20, 30])}


EVENT_TABLE = Table(
    "history_year", "history",
    [dict(k=k, prompts=p, topic=t, tmpl=a, year=y, note=n) for k, p, t, a, y, n in EVENTS],
    key=lambda r: "event:" + r["k"], topic=lambda r: r["topic"],
    prompts=lambda r: r["prompts"],
    answers=lambda r: [r["tmpl"], r["tmpl"], "~That was in {AD}{year}."],
    elabs=lambda r: ["{note}"], value=("year",), ok=year_ok, fallback=year_wrong,
    derive=lambda r: dict(r, AD="AD " if r["year"] < 1000 else ""), p_elab=0.85)

# key, prompts, topic, answer template ({who}), who, note
INVENTIONS = [
    ("penicillin", ["Who discovered penicillin?", "Which scientist discovered penicillin?",
                    "Who is credited with discovering penicillin?"], "who discovered penicillin",
     "Penicillin was discovered by {who} in 1928.", "Alexander Fleming",
     "A mold had killed the bacteria growing in one of the culture dishes."),
    ("telephone", ["Who invented the telephone?", "Who is credited with inventing the telephone?",
                   "Which inventor came up with the telephone?"], "who invented the telephone",
     "The telephone is usually credited to {who}, who was granted the patent in 1876.", "Alexander Graham Bell",
     "Other inventors, such as Elisha Gray and Antonio Meucci, worked on similar devices."),
    ("light-bulb", ["Who invented the light bulb?", "Who came up with the electric light bulb?",
                    "Which inventor is known for the light bulb?"], "who invented the light bulb",
     "The first practical incandescent light bulb is usually credited to {who}, in 1879.", "Thomas Edison",
     "Joseph Swan developed a similar bulb in England around the same time."),
    ("printing-press", ["Who invented the printing press?", "Who developed the first printing press with movable type in Europe?",
                        "Which inventor is behind the printing press?"], "who invented the printing press",
     "The movable-type printing press was developed in Europe by {who}, around 1440.", "Johannes Gutenberg",
     "The Gutenberg Bible, printed in the 1450s, is its most famous early product."),
    ("evolution", ["Who came up with the theory of evolution by natural selection?",
                   "Which scientist proposed natural selection?", "Who wrote On the Origin of Species?"],
     "the theory of evolution", "The theory of evolution by natural selection was set out by {who} in On the Origin of Species, in 1859.",
     "Charles Darwin", "Alfred Russel Wallace arrived at the same idea independently."),
    ("motion", ["Who formulated the three laws of motion?", "Which scientist came up with the laws of motion?",
                "Whose laws of motion do we learn in physics class?"], "the laws of motion",
     "The three laws of motion were set out by {who} in 1687.", "Isaac Newton",
     "They appeared in the Principia, which also described universal gravitation."),
    ("radium", ["Who discovered radium?", "Which scientist discovered polonium and radium?",
                "Who found the elements radium and polonium?"], "who discovered radium",
     "Radium and polonium were discovered in 1898 by {who}, working with Pierre Curie.", "Marie Curie",
     "Curie was the first person to win Nobel Prizes in two different sciences."),
    ("www", ["Who invented the World Wide Web?", "Who created the web?", "Which scientist came up with the World Wide Web?"],
     "who invented the World Wide Web", "The World Wide Web was invented by {who} in 1989, at CERN.",
     "Tim Berners-Lee", "The first website went online shortly afterwards."),
    ("periodic-table", ["Who created the periodic table?", "Which scientist made the first periodic table?",
                        "Who is known as the father of the periodic table?"], "who created the periodic table",
     "The first widely recognized periodic table was published by {who} in 1869.", "Dmitri Mendeleev",
     "Gaps were left in it for elements that hadn't been discovered yet."),
    ("vaccine", ["Who developed the first vaccine?", "Who invented the smallpox vaccine?",
                 "Which doctor created the first vaccine against smallpox?"], "the first vaccine",
     "The first vaccine, against smallpox, was developed by {who} in 1796.", "Edward Jenner",
     "The idea came from cowpox, a much milder disease."),
    ("airplane", ["Who made the first airplane flight?", "Who invented the airplane?",
                  "Who flew the first powered airplane?"], "who invented the airplane",
     "The first controlled, powered airplane flight was made by {who} in 1903.", "the Wright brothers",
     "It took place near Kitty Hawk, North Carolina."),
    ("dna", ["Who discovered the structure of DNA?", "Which scientists described the DNA double helix?",
             "Who worked out that DNA is a double helix?"], "the structure of DNA",
     "The double-helix structure of DNA was described by {who} in 1953.", "James Watson and Francis Crick",
     "Their work relied on X-ray images made by Rosalind Franklin."),
    ("dynamite", ["Who invented dynamite?", "Which chemist came up with dynamite?", "Who was the inventor of dynamite?"],
     "who invented dynamite", "Dynamite was invented by {who} in 1867.", "Alfred Nobel",
     "The fortune it made later funded the Nobel Prizes."),
    ("heliocentric", ["Who first proposed that Earth orbits the Sun?", "Who came up with the heliocentric model?",
                      "Which astronomer said the Sun, not Earth, is at the center?"], "the heliocentric model",
     "The idea that Earth orbits the Sun was set out by {who} in a book published in 1543.", "Nicolaus Copernicus",
     "It replaced the older view that Earth sat at the center of the universe."),
    ("pasteurization", ["Who invented pasteurization?", "Who came up with pasteurizing milk?",
                        "Which scientist is pasteurization named after?"], "who invented pasteurization",
     "Pasteurization was developed in the 1860s by {who}.", "Louis Pasteur",
     "It kills harmful microbes by heating food or drink for a short time."),
    ("x-rays", ["Who discovered X-rays?", "Which scientist found X-rays?", "Who was the first to discover X-rays?"],
     "who discovered X-rays", "X-rays were discovered by {who} in 1895.", "Wilhelm Röntgen",
     "The discovery won the first Nobel Prize in Physics, in 1901."),
    ("induction", ["Who discovered electromagnetic induction?", "Which scientist discovered how to generate electricity with magnets?",
                   "Who found electromagnetic induction?"], "electromagnetic induction",
     "Electromagnetic induction was discovered by {who} in 1831.", "Michael Faraday",
     "It's the principle behind electric generators and transformers."),
    ("polio", ["Who developed the polio vaccine?", "Who created the first effective polio vaccine?",
               "Which scientist made the first polio vaccine?"], "the polio vaccine",
     "The first effective polio vaccine was developed by {who} in the early 1950s.", "Jonas Salk",
     "It was approved for use in 1955."),
    ("insulin", ["Who discovered insulin?", "Which scientists discovered insulin?", "Who first isolated insulin?"],
     "who discovered insulin", "Insulin was discovered in 1921 by {who}.", "Frederick Banting and Charles Best",
     "It turned type 1 diabetes from a fatal illness into a manageable one."),
    ("first-program", ["Who wrote the first computer program?", "Who is considered the first computer programmer?",
                       "Who published the first algorithm meant for a machine?"], "the first computer program",
     "The first published computer program is usually credited to {who}, in 1843.", "Ada Lovelace",
     "It was written for Charles Babbage's Analytical Engine."),
    ("braille", ["Who invented Braille?", "Who created the Braille writing system?", "Who came up with Braille?"],
     "who invented Braille", "Braille was invented by {who}, who published the system in 1829.", "Louis Braille",
     "It lets blind people read by touch, using raised dots."),
    ("morse", ["Who invented Morse code?", "Who developed Morse code?", "Who came up with Morse code?"],
     "who invented Morse code", "Morse code was developed in the 1830s and 1840s by {who}.",
     "Samuel Morse and Alfred Vail", "It was designed for sending messages over the electric telegraph."),
    ("barometer", ["Who invented the barometer?", "Who made the first mercury barometer?",
                   "Which scientist invented the barometer?"], "who invented the barometer",
     "The mercury barometer was invented by {who} in 1643.", "Evangelista Torricelli", "It measures air pressure."),
    ("jet-engine", ["Who invented the jet engine?", "Who developed the first jet engine?",
                    "Which engineers came up with the jet engine?"], "who invented the jet engine",
     "The jet engine was developed independently in the 1930s by {who}.", "Frank Whittle and Hans von Ohain",
     "Jet engines now power almost all large airliners."),
    ("relativity", ["Who developed the theory of general relativity?", "Who came up with general relativity?",
                    "Which physicist published general relativity?"], "general relativity",
     "General relativity was published by {who} in 1915.", "Albert Einstein",
     "It describes gravity as the curving of space and time by mass."),
    ("jupiter-moons", ["Who discovered Jupiter's largest moons?", "Which astronomer found the four big moons of Jupiter?",
                       "Who first saw the moons of Jupiter through a telescope?"], "Jupiter's moons",
     "Jupiter's four largest moons were discovered by {who} in 1610.", "Galileo Galilei",
     "They're still called the Galilean moons."),
    ("mobile-phone", ["Who made the first mobile phone call?", "Who invented the handheld mobile phone?",
                      "Who made the first call on a handheld cell phone?"], "the first mobile phone call",
     "The first handheld mobile phone call was made by {who}, a Motorola engineer, in 1973.", "Martin Cooper",
     "The phone weighed about a kilogram."),
    ("calculus", ["Who invented calculus?", "Who came up with calculus?", "Which mathematicians developed calculus?"],
     "who invented calculus", "Calculus was developed independently in the late 1600s by {who}.",
     "Isaac Newton and Gottfried Wilhelm Leibniz", "The notation we use today mostly comes from Leibniz."),
]

# about when each discovery was made: a wrong answer names someone from another era (60+ years apart)
DISCOVERY_YEARS = {"penicillin": 1928, "telephone": 1876, "light-bulb": 1879, "printing-press": 1440, "evolution": 1859,
                   "motion": 1687, "radium": 1898, "www": 1989, "periodic-table": 1869, "vaccine": 1796,
                   "airplane": 1903, "dna": 1953, "dynamite": 1867, "heliocentric": 1543, "pasteurization": 1862,
                   "x-rays": 1895, "induction": 1831, "polio": 1953, "insulin": 1921, "first-program": 1843,
                   "braille": 1829, "morse": 1840, "barometer": 1643, "jet-engine": 1937, "relativity": 1915,
                   "jupiter-moons": 1610, "mobile-phone": 1973, "calculus": 1680}

INVENTION_TABLE = Table(
    "discovery", "history",
    [dict(k=k, prompts=p, topic=t, tmpl=a, who=w, note=n, year=DISCOVERY_YEARS[k]) for k, p, t, a, w, n in INVENTIONS],
    key=lambda r: "discovery:" + r["k"], topic=lambda r: r["topic"],
    prompts=lambda r: r["prompts"] + ["Can you remind me " + r["topic"] + "?" if r["topic"].startswith("who ")
                                      else "Tell me about " + r["topic"] + ": who was behind it?"],
    answers=lambda r: [r["tmpl"], r["tmpl"], "~That was {who}."], elabs=lambda r: ["{note}"], value=("who",),
    ok=lambda r, o: abs(r["year"] - o["year"]) >= 60, p_elab=0.85)

# title, author, note
BOOKS = [
    ("Pride and Prejudice", "Jane Austen", "It was first published in 1813."),
    ("1984", "George Orwell", "It was published in 1949."),
    ("To Kill a Mockingbird", "Harper Lee", "It was published in 1960 and won a Pulitzer Prize the following year."),
    ("The Great Gatsby", "F. Scott Fitzgerald", "It was published in 1925."),
    ("Moby-Dick", "Herman Melville", "It was published in 1851."),
    ("War and Peace", "Leo Tolstoy", "It was published in full in 1869."),
    ("Crime and Punishment", "Fyodor Dostoevsky", "It was published in 1866."),
    ("Don Quixote", "Miguel de Cervantes", "Its first part appeared in 1605."),
    ("Hamlet", "William Shakespeare", "It was probably written around 1600."),
    ("Romeo and Juliet", "William Shakespeare", "It was written in the 1590s."),
    ("Macbeth", "William Shakespeare", "It was probably first performed around 1606."),
    ("Frankenstein", "Mary Shelley", "It was first published in 1818."),
    ("Dracula", "Bram Stoker", "It was published in 1897."),
    ("Jane Eyre", "Charlotte Brontë", "It was published in 1847."),
    ("Wuthering Heights", "Emily Brontë", "It was published in 1847."),
    ("Great Expectations", "Charles Dickens", "It came out as a book in 1861."),
    ("A Tale of Two Cities", "Charles Dickens", "It was published in 1859."),
    ("The Odyssey", "Homer", "It's an ancient Greek epic poem about Odysseus's long journey home."),
    ("One Hundred Years of Solitude", "Gabriel García Márquez", "It was published in 1967."),
    ("The Old Man and the Sea", "Ernest Hemingway", "It was published in 1952."),
    ("The Catcher in the Rye", "J. D. Salinger", "It was published in 1951."),
    ("Brave New World", "Aldous Huxley", "It was published in 1932."),
    ("Animal Farm", "George Orwell", "It was published in 1945."),
    ("The Hobbit", "J. R. R. Tolkien", "It was published in 1937."),
    ("The Lord of the Rings", "J. R. R. Tolkien", "It was first published in three volumes in 1954 and 1955."),
    ("Harry Potter and the Philosopher's Stone", "J. K. Rowling", "It was published in 1997."),
    ("Les Misérables", "Victor Hugo", "It was published in 1862."),
    ("The Divine Comedy", "Dante Alighieri", "It was written in the early 14th century."),
    ("Anna Karenina", "Leo Tolstoy", "It came out as a book in 1878."),
    ("Things Fall Apart", "Chinua Achebe", "It was published in 1958."),
    ("The Little Prince", "Antoine de Saint-Exupéry", "It was published in 1943."),
    ("Alice's Adventures in Wonderland", "Lewis Carroll", "It was published in 1865."),
    ("Of Mice and Men", "John Steinbeck", "It was published in 1937."),
    ("The Grapes of Wrath", "John Steinbeck", "It was published in 1939."),
    ("Fahrenheit 451", "Ray Bradbury", "It was published in 1953."),
    ("Beloved", "Toni Morrison", "It was published in 1987."),
    ("The Metamorphosis", "Franz Kafka", "It was published in 1915."),
    ("Madame Bovary", "Gustave Flaubert", "It came out as a book in 1857."),
    ("Lord of the Flies", "William Golding", "It was published in 1954."),
    ("Mrs Dalloway", "Virginia Woolf", "It was published in 1925."),
    ("Treasure Island", "Robert Louis Stevenson", "It came out as a book in 1883."),
    ("The Handmaid's Tale", "Margaret Atwood", "It was published in 1985."),
    ("Adventures of Huckleberry Finn", "Mark Twain", "It was first published in the 1880s."),
    ("The Picture of Dorian Gray", "Oscar Wilde", "It first appeared in 1890."),
    ("The Hunger Games", "Suzanne Collins", "It was published in 2008."),
    ("Little Women", "Louisa May Alcott", "It was published in two parts, in 1868 and 1869."),
]
BOOK_TABLE = Table(
    "author", "history",
    [dict(T=t, A=a, note=n) for t, a, n in BOOKS],
    key=lambda r: "book:" + r["T"], topic="who wrote {T}",
    prompts=["Who wrote {T}?", "Who is the author of {T}?", "Which author wrote {T}?", "Tell me who wrote {T}.",
             "I'm reading {T} for class. Who wrote it?", "Can you remind me who wrote {T}?",
             "{lc}who wrote {T}?", "Who's the writer behind {T}?"],
    answers=["{T} was written by {A}.", "{A} wrote {T}.", "The author of {T} is {A}.", "~That would be {A}."],
    elabs=lambda r: ["{note}"], value=("A",), p_elab=0.8)

# ----------------------------------------------------------------------------------------------------
# Language

# verb, past, past participle, regularised (wrong) form
VERBS = [
    ("go", "went", "gone", "goed"), ("swim", "swam", "swum", "swimmed"), ("drink", "drank", "drunk", "drinked"),
    ("eat", "ate", "eaten", "eated"), ("write", "wrote", "written", "writed"), ("speak", "spoke", "spoken", "speaked"),
    ("begin", "began", "begun", "beginned"), ("bring", "brought", "brought", "bringed"),
    ("buy", "bought", "bought", "buyed"), ("catch", "caught", "caught", "catched"),
    ("teach", "taught", "taught", "teached"), ("think", "thought", "thought", "thinked"),
    ("fight", "fought", "fought", "fighted"), ("seek", "sought", "sought", "seeked"), ("run", "ran", "run", "runned"),
    ("sink", "sank", "sunk", "sinked"), ("drive", "drove", "driven", "drived"), ("ride", "rode", "ridden", "rided"),
    ("rise", "rose", "risen", "rised"), ("choose", "chose", "chosen", "choosed"),
    ("freeze", "froze", "frozen", "freezed"), ("steal", "stole", "stolen", "stealed"),
    ("break", "broke", "broken", "breaked"), ("forget", "forgot", "forgotten", "forgetted"),
    ("give", "gave", "given", "gived"), ("take", "took", "taken", "taked"), ("shake", "shook", "shaken", "shaked"),
    ("fly", "flew", "flown", "flyed"), ("grow", "grew", "grown", "growed"), ("know", "knew", "known", "knowed"),
    ("throw", "threw", "thrown", "throwed"), ("draw", "drew", "drawn", "drawed"), ("wear", "wore", "worn", "weared"),
    ("bite", "bit", "bitten", "bited"), ("hide", "hid", "hidden", "hided"), ("fall", "fell", "fallen", "falled"),
    ("feel", "felt", "felt", "feeled"), ("keep", "kept", "kept", "keeped"), ("sleep", "slept", "slept", "sleeped"),
    ("lose", "lost", "lost", "losed"), ("mean", "meant", "meant", "meaned"), ("sell", "sold", "sold", "selled"),
    ("tell", "told", "told", "telled"), ("stand", "stood", "stood", "standed"),
    ("understand", "understood", "understood", "understanded"), ("hold", "held", "held", "holded"),
    ("build", "built", "built", "builded"), ("send", "sent", "sent", "sended"), ("spend", "spent", "spent", "spended"),
    ("find", "found", "found", "finded"), ("sit", "sat", "sat", "sitted"), ("win", "won", "won", "winned"),
    ("dig", "dug", "dug", "digged"), ("say", "said", "said", "sayed"), ("make", "made", "made", "maked"),
    ("forgive", "forgave", "forgiven", "forgived"), ("blow", "blew", "blown", "blowed"), ("do", "did", "done", "doed"),
    ("hear", "heard", "heard", "heared"), ("meet", "met", "met", "meeted"), ("shoot", "shot", "shot", "shooted"),
    ("spin", "spun", "spun", "spinned"), ("stick", "stuck", "stuck", "sticked"), ("sting", "stung", "stung", "stinged"),
    ("swing", "swung", "swung", "swinged"), ("weep", "wept", "wept", "weeped"), ("come", "came", "come", "comed"),
]


def verb_elabs(r):
    if r["pp"] != r["p"]:
        return ["The past participle is '{pp}', as in 'I have {pp}.'", "Its past participle is '{pp}'."]
    return ["'{p}' is also the past participle, as in 'I have {p}.'", "The past participle is '{p}' as well."]


def verb_wrong(r, rng):
    if r["pp"] != r["p"] and rng.random() < 0.35:
        return {"p": r["pp"], "pp": r["p"]}
    return {"p": r["reg"], "pp": r["reg"]}


VERB_TABLE = Table(
    "past_tense", "language",
    [dict(v=v, p=p, pp=pp, reg=g) for v, p, pp, g in VERBS],
    key=lambda r: "verb:" + r["v"], topic="the past tense of '{v}'",
    prompts=["What is the past tense of '{v}'?", "What's the past tense of the verb '{v}'?",
             "How do you put '{v}' into the past tense?", "What's the simple past of '{v}'?",
             "Is '{v}' a regular verb? What's its past tense?", "Grammar question: what's the past tense of '{v}'?",
             "{lc}what's the past tense of {v}?", "Can you tell me the past tense and past participle of '{v}'?"],
    answers=["The past tense of '{v}' is '{p}'.", "'{V}' is irregular: the simple past is '{p}'.",
             "The simple past of '{v}' is '{p}'.", "~That would be '{p}'."],
    elabs=verb_elabs, wrong_fields=verb_wrong, derive=lambda r: dict(r, V=r["v"]), p_elab=0.85)

# singular, plural, wrong plural, note
PLURALS = [
    ("mouse", "mice", "mouses", "For computer mice, 'mouses' is sometimes heard, but 'mice' is standard."),
    ("goose", "geese", "gooses", None), ("tooth", "teeth", "tooths", None), ("foot", "feet", "foots", None),
    ("child", "children", "childs", None), ("man", "men", "mans", None), ("woman", "women", "womans", None),
    ("ox", "oxen", "oxes", None), ("cactus", "cacti", "cactis", "'Cactuses' is also accepted in everyday English."),
    ("fungus", "fungi", "fungis", "'Funguses' is also accepted, though less common."),
    ("nucleus", "nuclei", "nucleuses", None), ("crisis", "crises", "crisises", None),
    ("analysis", "analyses", "analysises", None), ("thesis", "theses", "thesises", None),
    ("phenomenon", "phenomena", "phenomenons", None), ("criterion", "criteria", "criterions", None),
    ("sheep", "sheep", "sheeps", "It's one of the nouns that stay the same in the plural."),
    ("deer", "deer", "deers", "Like 'sheep', it doesn't change in the plural."),
    ("moose", "moose", "mooses", "It's not 'meese', even though people sometimes joke that it should be."),
    ("series", "series", "serieses", "The singular and plural are the same."),
    ("species", "species", "specieses", "The singular and plural are the same."),
    ("leaf", "leaves", "leafs", None), ("knife", "knives", "knifes", None), ("wife", "wives", "wifes", None),
    ("wolf", "wolves", "wolfs", None), ("half", "halves", "halfs", None), ("loaf", "loaves", "loafs", None),
    ("shelf", "shelves", "shelfs", None), ("potato", "potatoes", "potatos", None),
    ("tomato", "tomatoes", "tomatos", None), ("hero", "heroes", "heros", None), ("echo", "echoes", "echos", None),
    ("louse", "lice", "louses", None), ("radius", "radii", "radiis", "'Radiuses' is also accepted."),
    ("bacterium", "bacteria", "bacteriums", None), ("alumnus", "alumni", "alumnuses", None),
    ("cherry", "cherries", "cherrys", None), ("city", "cities", "citys", None), ("baby", "babies", "babys", None),
    ("calf", "calves", "calfs", None), ("elf", "elves", "elfs", None), ("thief", "thieves", "thiefs", None),
]
PLURAL_TABLE = Table(
    "plural", "language",
    [dict(s=s, pl=p, bad=b, note=n) for s, p, b, n in PLURALS],
    key=lambda r: "noun:" + r["s"], topic="the plural of '{s}'",
    prompts=["What is the plural of '{s}'?", "What's the plural form of '{s}'?", "How do you make '{s}' plural?",
             "{lc}plural of '{s}'?", "Grammar check: what's the plural of '{s}'?",
             "Is it '{bad}' or something else when there's more than one {s}?",
             "What do you call more than one {s}? I'm never sure of the spelling.",
             "Could you tell me the correct plural of '{s}'?"],
    answers=["The plural of '{s}' is '{pl}'.", "One {s}, two {pl}: the plural is '{pl}'.",
             "'{S}' becomes '{pl}' in the plural.", "~That would be '{pl}'."],
    elabs=lambda r: ["{note}"] if r["note"] else [],
    wrong_fields=lambda r, rng: {"pl": r["bad"]}, derive=lambda r: dict(r, S=r["s"]), p_elab=0.9)

# word, antonyms, synonyms
WORDS = [
    ("brave", ["cowardly", "timid"], ["courageous", "bold"]),
    ("generous", ["stingy", "selfish"], ["giving", "charitable"]),
    ("ancient", ["modern", "new"], ["old", "antique"]), ("expand", ["shrink", "contract"], ["grow", "enlarge"]),
    ("transparent", ["opaque", "cloudy"], ["clear", "see-through"]),
    ("frequent", ["rare", "occasional"], ["common", "regular"]), ("victory", ["defeat", "loss"], ["win", "triumph"]),
    ("accept", ["reject", "refuse"], ["receive", "take"]), ("include", ["exclude", "omit"], ["contain", "involve"]),
    ("increase", ["decrease", "reduce"], ["raise", "boost"]),
    ("optimistic", ["pessimistic", "gloomy"], ["hopeful", "positive"]),
    ("temporary", ["permanent", "lasting"], ["brief", "short-term"]),
    ("scarce", ["plentiful", "abundant"], ["rare", "limited"]),
    ("artificial", ["natural", "real"], ["synthetic", "fake"]), ("humble", ["arrogant", "proud"], ["modest", "meek"]),
    ("rough", ["smooth", "gentle"], ["coarse", "bumpy"]), ("ascend", ["descend", "fall"], ["climb", "rise"]),
    ("entrance", ["exit", "way out"], ["doorway", "entry"]), ("guilty", ["innocent", "blameless"], ["culpable", "responsible"]),
    ("polite", ["rude", "impolite"], ["courteous", "respectful"]), ("wide", ["narrow", "thin"], ["broad", "spacious"]),
    ("success", ["failure", "defeat"], ["achievement", "triumph"]), ("tidy", ["messy", "untidy"], ["neat", "orderly"]),
    ("noisy", ["quiet", "silent"], ["loud", "rowdy"]), ("fragile", ["sturdy", "strong"], ["delicate", "brittle"]),
    ("vacant", ["occupied", "full"], ["empty", "unoccupied"]), ("loyal", ["disloyal", "treacherous"], ["faithful", "devoted"]),
    ("praise", ["criticize", "blame"], ["compliment", "applaud"]), ("reward", ["punishment", "penalty"], ["prize", "bonus"]),
    ("ordinary", ["extraordinary", "unusual"], ["common", "normal"]), ("cheap", ["expensive", "costly"], ["inexpensive", "affordable"]),
    ("early", ["late", "delayed"], ["prompt", "timely"]), ("healthy", ["unhealthy", "sick"], ["well", "fit"]),
    ("brief", ["lengthy", "long"], ["short", "quick"]), ("careful", ["careless", "reckless"], ["cautious", "attentive"]),
    ("visible", ["invisible", "hidden"], ["noticeable", "apparent"]), ("minimum", ["maximum", "most"], ["least", "lowest"]),
    ("horizontal", ["vertical", "upright"], ["level", "flat"]), ("arrive", ["depart", "leave"], ["reach", "come"]),
    ("float", ["sink", "submerge"], ["drift", "hover"]), ("ignite", ["extinguish", "put out"], ["light", "kindle"]),
    ("strict", ["lenient", "relaxed"], ["firm", "stern"]),
]
WORD_ROWS = [dict(w=w, a1=a[0], a2=a[1], s1=s[0], s2=s[1]) for w, a, s in WORDS]
ANTONYM_TABLE = Table(
    "antonym", "language", WORD_ROWS,
    key=lambda r: "word:" + r["w"], topic="the opposite of '{w}'",
    prompts=["What is the opposite of '{w}'?", "What's an antonym for '{w}'?",
             "Give me a word that means the opposite of '{w}'.", "Can you suggest an antonym of '{w}'?",
             "I need the opposite of '{w}' for an essay. Any ideas?", "{lc}opposite of {w}?",
             "What word means the opposite of '{w}'?"],
    answers=["The opposite of '{w}' is '{a1}'.", "A good antonym for '{w}' is '{a1}'.",
             "'{a1}' is the opposite of '{w}'.", "~A good one is '{a1}'."],
    elabs=lambda r: ["'{a2}' also works, depending on the context.", "You could also use '{a2}'."],
    wrong_fields=lambda r, rng: {"a1": r["s1"], "a2": r["s2"]}, p_elab=0.7)
SYNONYM_TABLE = Table(
    "synonym", "language", WORD_ROWS,
    key=lambda r: "word:" + r["w"], topic="other words for '{w}'",
    prompts=["What's another word for '{w}'?", "Can you give me a synonym for '{w}'?",
             "What is a synonym of '{w}'?", "I keep using '{w}' in my essay. What could I say instead?",
             "{lc}synonym for {w}?", "Suggest a word that means the same as '{w}'."],
    answers=["A good synonym for '{w}' is '{s1}'.", "You could say '{s1}' instead of '{w}'.",
             "'{s1}' means much the same as '{w}'."],
    elabs=lambda r: ["'{s2}' also works, depending on the context.", "'{s2}' is another option."],
    wrong_fields=lambda r, rng: {"s1": r["a1"], "s2": r["a2"]}, p_elab=0.7)

# ----------------------------------------------------------------------------------------------------
# Computing

# acronym, expansion, plausible fake expansion, note
ACRONYMS = [
    ("HTML", "HyperText Markup Language", "HyperText Machine Language", "It's the standard language for structuring web pages."),
    ("CSS", "Cascading Style Sheets", "Computer Style Sheets", "It controls how web pages look, such as colors and layout."),
    ("URL", "Uniform Resource Locator", "Universal Reference Link", "It's the address of a page or file on the web."),
    ("CPU", "central processing unit", "central program utility", "It's the part of a computer that carries out instructions."),
    ("GPU", "graphics processing unit", "general processing unit", "It does many calculations in parallel, originally for graphics."),
    ("RAM", "random-access memory", "read-and-modify memory", "It's the short-term working memory a computer uses while programs run."),
    ("ROM", "read-only memory", "random output memory", "It holds data that normally isn't changed, such as firmware."),
    ("SQL", "Structured Query Language", "Standard Question Language", "It's used to query and manage data in relational databases."),
    ("JSON", "JavaScript Object Notation", "Java Serialized Object Network", "It's a lightweight text format for exchanging data."),
    ("API", "application programming interface", "automated program integration", "It's a defined way for one piece of software to talk to another."),
    ("HTTP", "Hypertext Transfer Protocol", "High Traffic Text Protocol", "It's the protocol browsers use to fetch web pages."),
    ("DNS", "Domain Name System", "Digital Network Service", "It translates names like example.com into IP addresses."),
    ("USB", "Universal Serial Bus", "Unified System Bridge", "It's a standard for connecting and charging devices."),
    ("PDF", "Portable Document Format", "Printable Digital File", "It keeps a document's layout the same on any device."),
    ("SSD", "solid-state drive", "super-speed disk", "It stores data on flash memory with no moving parts."),
    ("IDE", "integrated development environment", "internal debugging editor", "It combines a code editor, build tools and a debugger."),
    ("VPN", "virtual private network", "verified public network", "It creates an encrypted connection over the internet."),
    ("LAN", "local area network", "linked access node", "It connects devices in a small area, like a home or an office."),
    ("GUI", "graphical user interface", "general utility interface", "It lets people use a program through windows, icons and menus."),
    ("XML", "Extensible Markup Language", "Extended Machine Language", "It's a markup language for storing and sharing structured data."),
    ("FTP", "File Transfer Protocol", "Fast Transmission Process", "It's an older protocol for moving files between computers."),
    ("GPS", "Global Positioning System", "General Position Sensor", "It works out your location from satellite signals."),
    ("LED", "light-emitting diode", "low-energy display", "LEDs use far less energy than old incandescent bulbs."),
    ("ASCII", "American Standard Code for Information Interchange", "Automatic System Character Index", "It's an early standard for encoding text characters."),
    ("PIN", "personal identification number", "private internet number", "It's a short numeric code that proves it's you."),
    ("ISP", "internet service provider", "internal security protocol", "It's the company that connects you to the internet."),
    ("BIOS", "Basic Input/Output System", "Binary Integrated Operating Software", "It's firmware that starts up a computer's hardware."),
    ("IoT", "Internet of Things", "Integration of Technology", "It refers to everyday devices connected to the internet."),
    ("OS", "operating system", "online server", "It manages the hardware and runs other programs."),
    ("AI", "artificial intelligence", "automated information", "It covers computer systems that do tasks we associate with human thinking."),
    ("IP", "Internet Protocol", "Internal Port", "It's the set of rules for addressing and routing data on the internet."),
    ("UX", "user experience", "universal exchange", "It's about how easy and pleasant a product is to use."),
]
ACRONYM_TABLE = Table(
    "acronym", "computing",
    [dict(A=a, x=x, fake=f, note=n) for a, x, f, n in ACRONYMS],
    key=lambda r: "acronym:" + r["A"], topic="what {A} stands for",
    prompts=["What does {A} stand for?", "What's {A} short for?", "In computing, what does {A} mean?",
             "Can you spell out {A} for me?", "I keep seeing {A}. What does it stand for?",
             "{lc}what does {A} stand for?", "What is the full form of {A}?"],
    answers=["{A} stands for {x}.", "{A} is short for {x}.", "The abbreviation {A} means {x}.",
             "~That's short for {x}."],
    elabs=lambda r: ["{note}"], value=("x",), wrong_fields=lambda r, rng: {"x": r["fake"]}, p_own=0.6,
    p_elab=0.85)

TABLES = [CAPITAL_TABLE, CURRENCY_TABLE, LANGUAGE_TABLE, CONTINENT_TABLE, LANDMARK_TABLE, SYMBOL_TABLE,
          ELEMENT_NAME_TABLE, PLANET_TABLE, BABY_TABLE, CLASS_TABLE, EVENT_TABLE, INVENTION_TABLE, BOOK_TABLE,
          VERB_TABLE, PLURAL_TABLE, ANTONYM_TABLE, SYNONYM_TABLE, ACRONYM_TABLE]

# ----------------------------------------------------------------------------------------------------
# Hand-written questions: "## domain" starts a domain (one family each); "@ key | topic" starts a fact;
# Q: phrasings of the question, A: correct answers, W: wrong answers (plausible misconceptions).

HANDWRITTEN = r"""
## science
@ sky-blue | why the sky is blue
Q: Why is the sky blue?
Q: What makes the sky look blue during the day?
Q: Explain why the sky is blue.
A: Sunlight is scattered by the molecules in the air, and blue light, with its shorter wavelength, scatters much more than red. So blue light reaches your eyes from every part of the sky.
W: The sky is blue because it reflects the color of the oceans, which cover most of the planet. On cloudy days there's nothing to reflect, so it looks gray.
@ boiling-point | the boiling point of water
Q: At what temperature does water boil?
Q: What's the boiling point of water in Celsius?
Q: How hot does water need to get before it boils?
A: At sea level, pure water boils at 100 °C (212 °F). Higher up, the air pressure is lower, so it boils at a slightly lower temperature.
W: At sea level, water boils at about 80 °C (176 °F). That's why a kettle switches itself off well before the water gets really hot.
@ seasons | the seasons
Q: What causes the seasons on Earth?
Q: Why do we have summer and winter?
Q: Explain what causes the seasons.
A: The seasons come from the tilt of Earth's axis, about 23.5 degrees. When your hemisphere leans toward the Sun, sunlight hits it more directly and days are longer, which gives you summer.
W: The seasons happen because Earth's distance from the Sun changes a lot during the year. Summer is when we're closest to the Sun and winter is when we're farthest away.
@ photosynthesis | what plants take from the air
Q: What gas do plants absorb from the air?
Q: Which gas do plants take in for photosynthesis?
Q: What do plants take in from the air to make their food?
A: Plants take in carbon dioxide from the air and, using sunlight and water, turn it into sugar during photosynthesis. They release oxygen as a by-product.
W: Plants absorb oxygen from the air for photosynthesis and release carbon dioxide, which is the opposite of what animals do.
@ thunder | why thunder comes after lightning
Q: Why do you see lightning before you hear thunder?
Q: Why does thunder come after the lightning?
Q: How come the flash of lightning arrives before the sound?
A: Light travels nearly a million times faster than sound. You see the flash almost instantly, while the sound covers only about a kilometer every three seconds, so the thunder arrives later.
W: The thunder comes later because the sound has to wait until the lightning has finished before it can start moving.
@ ice-floats | why ice floats
Q: Why does ice float on water?
Q: How come ice cubes float in a drink?
Q: Explain why ice floats instead of sinking.
A: Water expands when it freezes, so ice is about 9% less dense than liquid water. Anything less dense than the liquid around it floats, which is why ice cubes bob at the top of your glass.
W: Ice floats because of the tiny air bubbles trapped inside it. Ice made without any bubbles sinks straight to the bottom.
@ moon-phases | the phases of the Moon
Q: Why does the Moon have phases?
Q: What causes the phases of the Moon?
Q: Why does the Moon seem to change shape over the month?
A: The Moon is always half lit by the Sun. As it orbits Earth over about a month, we see different amounts of that sunlit half, which gives the phases from new moon to full moon.
W: The phases of the Moon are caused by Earth's shadow covering different parts of it as the month goes on.
@ speed-of-light | the speed of light
Q: How fast does light travel?
Q: What is the speed of light?
Q: How quick is light in a vacuum?
A: Light travels at about 300,000 kilometers per second in a vacuum, or roughly 186,000 miles per second. Sunlight takes a little over eight minutes to reach Earth.
W: Light travels at about 300,000 kilometers per hour in a vacuum, so sunlight takes several days to reach Earth.
@ rainbow | rainbows
Q: How does a rainbow form?
Q: What makes a rainbow appear?
Q: Explain how rainbows happen.
A: Sunlight enters raindrops, bends, reflects off the back of each drop and bends again on the way out. Each color bends by a slightly different amount, so the light spreads into a band of colors.
W: Rainbows form when sunlight bounces off clouds that contain gases of different colors. That's why you only see them on cloudy days.
@ road-salt | salt on icy roads
Q: Why do people put salt on icy roads?
Q: How does salt help melt ice?
Q: Why is salt spread on the roads in winter?
A: Salt lowers the freezing point of water, so ice melts even when the air is a few degrees below 0 °C. It works less well in very cold weather.
W: Salt melts ice because it heats up when it touches the road, a bit like a chemical hand warmer.
@ day-night | day and night
Q: What causes day and night?
Q: Why do we have day and night on Earth?
Q: Explain why it gets dark at night.
A: Earth spins on its axis about once every 24 hours. The side facing the Sun has daytime, and the side facing away has night.
W: Day and night happen because the Sun travels around Earth once every 24 hours.
@ metal-cold | why metal feels cold
Q: Why does metal feel colder than wood at the same temperature?
Q: If they're the same temperature, why does metal feel colder than wood?
Q: Why does a metal bench feel colder than a wooden one?
A: Metal conducts heat much better than wood, so it pulls heat away from your skin faster. Your skin senses that heat loss as cold, even though both are at the same temperature.
W: Metal feels colder because it really is several degrees colder than wood, even when both sit in the same room.
@ sweat | sweating
Q: Why do we sweat?
Q: What is the purpose of sweating?
Q: How does sweating help the body?
A: Sweating cools you down. As sweat evaporates from your skin, it carries heat away, which helps keep your body temperature steady.
W: We sweat to get rid of extra water, and it has no real effect on body temperature.
@ compass | how a compass works
Q: How does a compass work?
Q: Why does a compass needle point north?
Q: Explain how a compass finds north.
A: A compass needle is a small magnet. It lines up with Earth's magnetic field, so one end points toward the magnetic north pole, which is close to, but not exactly at, the geographic North Pole.
W: The needle is pulled toward the North Star, which is why a compass works best at night.
@ autumn-leaves | autumn leaves
Q: Why do leaves change color in autumn?
Q: What makes leaves turn red and yellow in the fall?
Q: Why do tree leaves change color before they drop?
A: In autumn, trees stop making chlorophyll, the green pigment. As it breaks down, yellow and orange pigments that were there all along show through, and some trees also make new red pigments.
W: Leaves change color because the cold freezes them, and frozen leaves naturally turn red and orange.

## astronomy
@ largest-planet | the largest planet
Q: What is the largest planet in our solar system?
Q: Which planet is the biggest?
Q: Name the biggest planet orbiting the Sun.
A: Jupiter is the largest planet in the solar system. It's about 11 times wider than Earth and is made mostly of hydrogen and helium.
W: Saturn is the largest planet in the solar system. It's about three times wider than Jupiter, which is the second largest.
@ leap-year | leap years
Q: Why do we have leap years?
Q: What is the point of a leap year?
Q: Why does February sometimes have 29 days?
A: Earth takes about 365.25 days to orbit the Sun, so an extra day every four years keeps the calendar in step with the seasons. Century years skip it unless they're divisible by 400.
W: Leap years exist because Earth speeds up every four years, so we add a day to slow the calendar down.
@ moon-distance | the distance to the Moon
Q: How far away is the Moon?
Q: What is the distance from Earth to the Moon?
Q: How many kilometers is it to the Moon?
A: The Moon is about 384,000 kilometers (239,000 miles) from Earth on average. The distance varies a little because its orbit is slightly oval.
W: The Moon is about 3,800 kilometers from Earth, roughly the distance of a long flight.
@ mars-red | why Mars is red
Q: Why is Mars red?
Q: What gives Mars its red color?
Q: Why is Mars called the Red Planet?
A: Mars looks red because its surface dust and rocks contain a lot of iron oxide, which is basically rust.
W: Mars is red because it's extremely hot, so its surface glows like metal in a fire.
@ light-year | light-years
Q: What is a light-year?
Q: Is a light-year a measure of time or distance?
Q: How long is a light-year?
A: A light-year is a unit of distance: how far light travels in one year, about 9.5 trillion kilometers. Astronomers use it because distances between stars are enormous.
W: A light-year is a unit of time, equal to one year in space, which is a little shorter than a year on Earth.
@ sun-star | whether the Sun is a star
Q: Is the Sun a star?
Q: What kind of star is the Sun?
Q: Is our Sun a star like the ones we see at night?
A: The Sun is a star, a fairly ordinary yellow dwarf. It looks so much bigger and brighter than other stars because it's so much closer to us.
W: The Sun isn't a star; it's a planet made of burning gas. Stars are much smaller objects that only shine at night.
@ pluto | Pluto's status
Q: Why is Pluto no longer a planet?
Q: Is Pluto still considered a planet?
Q: When did Pluto stop being a planet?
A: In 2006, astronomers reclassified Pluto as a dwarf planet because it hasn't cleared its orbit of other objects. It still orbits the Sun like the planets do.
W: Pluto was removed from the list of planets in 2006 after scientists found it had crashed into Neptune.
@ shooting-star | shooting stars
Q: What is a shooting star?
Q: Are shooting stars really stars?
Q: What causes shooting stars?
A: A shooting star is a meteor: a small piece of space rock or dust burning up as it enters Earth's atmosphere. It isn't a star at all.
W: A shooting star is a real star falling out of the sky after it runs out of fuel.
@ astronaut-float | why astronauts float
Q: Why do astronauts float in space?
Q: Is there no gravity on the International Space Station?
Q: How come astronauts are weightless in orbit?
A: Astronauts on the space station are in constant free fall around Earth, so they and the station fall together and they feel weightless. Gravity up there is still about 90% as strong as on the ground.
W: There's no gravity at all in space, so once astronauts leave the atmosphere they simply float.
@ closest-star | the nearest star
Q: What is the closest star to Earth?
Q: Which star is nearest to us?
Q: What's the nearest star after the Sun?
A: The closest star is the Sun. After that, the nearest is Proxima Centauri, about 4.2 light-years away.
W: The closest star after the Sun is the North Star, Polaris, which is only a few light-days away.

## human body
@ bones | the number of bones in the body
Q: How many bones are in the human body?
Q: How many bones does an adult have?
Q: What's the number of bones in an adult skeleton?
A: An adult skeleton usually has 206 bones. Babies are born with more, around 270, and some of them fuse together as they grow.
W: An adult skeleton has about 50 bones. Babies have fewer, and new bones keep forming until about age 30.
@ heart-chambers | the chambers of the heart
Q: How many chambers does the human heart have?
Q: What are the chambers of the heart?
Q: How is the human heart divided?
A: The human heart has four chambers: two atria at the top, which receive blood, and two ventricles below, which pump it out.
W: The human heart has two chambers: one for clean blood and one for used blood.
@ largest-organ | the largest organ
Q: What is the largest organ in the human body?
Q: Which organ is the biggest?
Q: What's the body's largest organ?
A: The skin is the largest organ of the body. The largest internal organ is the liver.
W: The liver is the largest organ of the body. The skin doesn't count as an organ at all.
@ universal-donor | the universal blood donor
Q: Which blood type is the universal donor?
Q: What blood type can be given to anyone?
Q: Which blood group is called the universal donor?
A: O negative is known as the universal donor for red blood cells, because it can be given to people of any blood type in an emergency.
W: AB positive is the universal donor, because it can be given to people of any blood type in an emergency.
@ adult-teeth | the number of adult teeth
Q: How many teeth does an adult have?
Q: How many adult teeth do people usually have?
Q: What's the normal number of permanent teeth?
A: Most adults have 32 permanent teeth, including four wisdom teeth. Many people have some wisdom teeth removed, so 28 is also common.
W: Adults have 20 permanent teeth, the same number as children have baby teeth.

## health
@ water-intake | how much water to drink
Q: How much water should I drink a day?
Q: What's a healthy amount of water to drink daily?
Q: How many glasses of water do adults need each day?
A: It depends on your size, activity and climate, but a common guideline is about 2 to 3 liters of fluids a day for adults, including water from food and other drinks. Pale yellow urine is a good sign.
W: Adults need at least 10 liters of water every day, no matter how active they are or what the weather is like.
@ sleep | how much sleep adults need
Q: How much sleep do adults need?
Q: How many hours of sleep should an adult get?
Q: What's the recommended amount of sleep for grown-ups?
A: Most adults need 7 to 9 hours of sleep a night. Keeping a regular bedtime and wake-up time helps with sleep quality too.
W: Most adults only need about 4 hours of sleep a night; anything more is just a habit.
@ handwashing | washing your hands
Q: How long should I wash my hands?
Q: What's the right way to wash your hands?
Q: How many seconds should handwashing take?
A: Scrub with soap and water for at least 20 seconds, about the time it takes to hum "Happy Birthday" twice. Don't forget the backs of your hands, between your fingers and under your nails.
W: A quick three-second rinse with water is enough. Soap doesn't really make a difference.
@ exercise | weekly exercise
Q: How much exercise do adults need each week?
Q: What's the recommended amount of weekly exercise?
Q: How many minutes of activity should I aim for per week?
A: Health guidelines recommend at least 150 minutes of moderate activity a week, such as brisk walking, plus muscle-strengthening exercises on two or more days.
W: Guidelines say 20 minutes of walking a week is all most adults need to stay healthy.
@ sunscreen | sunscreen
Q: How often should I reapply sunscreen?
Q: When do I need to put sunscreen on again?
Q: How long does sunscreen last once it's on?
A: Reapply sunscreen about every two hours, and straight after swimming, heavy sweating or toweling off. A broad-spectrum SPF 30 or higher is a good choice.
W: One layer of sunscreen in the morning protects you all day, even if you go swimming.
@ teeth-brushing | brushing your teeth
Q: How often should I brush my teeth?
Q: How many times a day should you brush your teeth?
Q: How long should I brush my teeth for?
A: Brush twice a day for about two minutes each time, using a fluoride toothpaste. Cleaning between your teeth once a day with floss or interdental brushes helps too.
W: Brushing once a week is plenty if you use a strong toothpaste. Brushing more often wears your teeth down.
@ eye-strain | eye strain from screens
Q: How can I reduce eye strain from looking at screens?
Q: My eyes get tired at the computer. Any tips?
Q: What's a good habit for avoiding eye strain?
A: Try the 20-20-20 rule: every 20 minutes, look at something about 20 feet (6 meters) away for 20 seconds. Good lighting and remembering to blink also help.
W: Turn your screen brightness all the way up and sit as close to it as you can; that's the best way to avoid eye strain.
@ body-temperature | normal body temperature
Q: What is a normal body temperature?
Q: What temperature counts as normal for humans?
Q: What's the average human body temperature?
A: A normal body temperature is around 37 °C (98.6 °F), though it varies a little between people and over the day. A reading of 38 °C or more usually counts as a fever.
W: Normal body temperature is about 40 °C (104 °F). Anything below that means you're getting cold.
@ warm-up | warming up before exercise
Q: Should I warm up before exercising?
Q: Is it important to warm up before a workout?
Q: Why do people warm up before exercise?
A: A 5 to 10 minute warm-up, like light jogging or dynamic stretches, raises your heart rate and loosens your muscles, which can lower the risk of injury. It's well worth doing.
W: Warming up just wastes energy. It's better to start at full intensity right away.
@ fruit-veg | fruit and vegetable portions
Q: How many portions of fruit and vegetables should I eat a day?
Q: How much fruit and veg is recommended daily?
Q: What's the daily recommendation for fruit and vegetables?
A: A common recommendation is at least five portions a day, with a portion being about 80 grams, like a medium apple or a handful of green beans.
W: One portion a week is enough, as long as it's a big one.
@ caffeine-sleep | coffee and sleep
Q: Does coffee in the afternoon affect sleep?
Q: How late can I drink coffee without it ruining my sleep?
Q: Will an evening coffee keep me awake?
A: Caffeine stays in your body for hours, so it can keep you awake; many sleep experts suggest avoiding it for about six hours before bed. People differ in how sensitive they are, though.
W: Caffeine wears off within 20 minutes, so coffee at any time of day won't affect your sleep.
@ burn-first-aid | treating a minor burn
Q: What should I do if I burn my hand on the stove?
Q: How do you treat a minor burn?
Q: What's the first thing to do for a small kitchen burn?
A: Cool the burn under cool running water for about 20 minutes, then cover it loosely with cling film or a clean dressing. Skip ice, butter and creams, and get medical help for large or deep burns.
W: Put butter or ice directly on the burn straight away. That's the quickest way to stop it hurting.
@ nosebleed | nosebleeds
Q: What should I do for a nosebleed?
Q: How do you stop a nosebleed?
Q: My nose is bleeding. What's the best way to stop it?
A: Sit up, lean forward slightly and pinch the soft part of your nose for 10 to 15 minutes while breathing through your mouth. Get medical help if it hasn't stopped after about 20 minutes.
W: Tilt your head back as far as you can, so the blood runs down your throat instead of out of your nose.
@ sitting | sitting all day
Q: Is sitting all day bad for you?
Q: Why is sitting for long periods unhealthy?
Q: How can I counteract sitting at a desk all day?
A: Long periods of sitting are linked to poorer health, even in people who exercise. Getting up to move for a few minutes every half hour or so helps.
W: Sitting all day is fine as long as your chair is comfortable; the body doesn't really need to move.

## cooking
@ hard-boiled | hard-boiled eggs
Q: How long should I boil an egg to get it hard-boiled?
Q: How many minutes does it take to hard-boil an egg?
Q: What's the right cooking time for hard-boiled eggs?
A: Lower the eggs into boiling water and cook them for about 10 to 12 minutes, then cool them in cold water so they're easier to peel.
W: About 3 minutes is enough for a hard-boiled egg. After that the yolk starts to turn runny again.
@ pasta-salt | salting pasta water
Q: Should I salt the water when cooking pasta?
Q: Why do people add salt to pasta water?
Q: Do I need to put salt in the water for pasta?
A: Salt the water generously once it's boiling, because it seasons the pasta from the inside. A common rule of thumb is about 1 tablespoon of salt per 4 liters of water.
W: Salt makes pasta water boil much faster, which is the only reason people add it.
@ chicken-temp | cooking chicken safely
Q: What temperature should chicken be cooked to?
Q: How do I know when chicken is cooked through?
Q: What's the safe internal temperature for chicken?
A: Chicken is safe when the thickest part reaches 74 °C (165 °F) on a meat thermometer. The juices should run clear, with no pink meat left.
W: Chicken is safe once it reaches about 50 °C (122 °F) inside, even if it's still pink in the middle.
@ rice-ratio | cooking white rice
Q: How much water do I need for white rice?
Q: What's the water to rice ratio for white rice?
Q: How do I cook fluffy white rice?
A: For long-grain white rice, use about 1.5 to 2 cups of water per cup of rice, depending on the variety. Simmer it covered for around 15 minutes, then let it rest for 5 minutes before fluffing.
W: Use about 6 cups of water for each cup of rice and boil it uncovered for an hour.
@ soda-powder | baking soda and baking powder
Q: What's the difference between baking soda and baking powder?
Q: Can I use baking powder instead of baking soda?
Q: How are baking soda and baking powder different?
A: Baking soda is pure sodium bicarbonate and needs an acid, like buttermilk or lemon juice, to make a recipe rise. Baking powder already contains an acid, so it works on its own; you can't swap them one for one.
W: They're exactly the same product sold under different names, so you can always swap them one for one.
@ onion-tears | cutting onions without tears
Q: How can I stop crying when I cut onions?
Q: Why do onions make you cry, and how do I prevent it?
Q: Any tips for cutting onions without tears?
A: Use a very sharp knife, chill the onion for 15 minutes first, and leave the root end on while you cut. Onions release an irritating gas, and these steps reduce how much escapes.
W: Onions only make you cry if you cut them on a wooden board, so switch to a plastic one and you'll be fine.
@ grease-fire | grease fires
Q: What should I do if a pan of oil catches fire?
Q: How do you put out a grease fire?
Q: Can I use water on a kitchen oil fire?
A: Never use water. Turn off the heat and cover the pan with a lid or a damp towel to cut off the oxygen. If the fire spreads, get out and call emergency services.
W: Throw a cup of water on it right away. Water puts out any kind of fire.
@ avocado | ripening avocados
Q: How can I ripen an avocado faster?
Q: How do I make avocados ripen quickly?
Q: My avocado is rock hard. How can I speed it up?
A: Put it in a paper bag with a banana or an apple and leave it at room temperature. The fruit gives off ethylene gas, which speeds up ripening, usually within a day or two.
W: Put it in the fridge. Cold temperatures make avocados ripen much faster.
@ leftovers | keeping leftovers
Q: How long can I keep leftovers in the fridge?
Q: How many days are leftovers safe in the refrigerator?
Q: Is it OK to eat leftovers after a week?
A: Most cooked leftovers are safe for 3 to 4 days in the fridge. Refrigerate them within two hours of cooking, and freeze anything you won't eat in that time.
W: Leftovers stay safe in the fridge for about a month, as long as the container is closed.
@ steak-rest | resting steak
Q: Why should I let steak rest after cooking?
Q: Do I need to rest meat before cutting it?
Q: How long should a steak rest?
A: Resting lets the juices settle back into the meat instead of running onto the board. Five to ten minutes under loose foil is plenty for most steaks.
W: Resting is just a restaurant habit. Cutting the steak straight away keeps it juicier.
@ buttermilk | a buttermilk substitute
Q: What can I use instead of buttermilk?
Q: I don't have buttermilk. What can I substitute?
Q: How do I make a buttermilk substitute?
A: Stir 1 tablespoon of lemon juice or white vinegar into 1 cup of milk and let it sit for 5 to 10 minutes. It thickens slightly and works in most baking recipes.
W: Just use plain water. Buttermilk doesn't really do anything in baking.
@ sharp-knife | sharp and dull knives
Q: Is a sharp knife safer than a dull one?
Q: Why do chefs say a dull knife is dangerous?
Q: Are dull knives really more dangerous?
A: A sharp knife is safer. It cuts with less force, so it's less likely to slip off the food and into your hand, while a dull knife needs more pressure, which makes accidents more likely.
W: Dull knives are always safer, because they can't cut skin.
@ egg-freshness | checking eggs are fresh
Q: How can I tell if an egg is still fresh?
Q: Is there a quick way to check if eggs are fresh?
Q: How do I know if an egg has gone bad?
A: Put it in a bowl of water. A fresh egg sinks and lies flat, while an older egg stands up or floats because its air cell has grown. If it smells bad when cracked, throw it out.
W: Put it in a bowl of water: fresh eggs float and old eggs sink, so keep the ones that float.
@ thawing | thawing frozen meat
Q: What's the safest way to thaw frozen meat?
Q: Can I defrost chicken on the counter?
Q: How should I defrost meat?
A: Thaw it in the fridge, in cold water that you change every 30 minutes, or in the microwave if you'll cook it right away. Leaving it on the counter lets bacteria grow on the outside.
W: Leaving meat on the counter overnight is the safest way, since warm air thaws it evenly.

## personal finance
@ emergency-fund | emergency funds
Q: How much should I have in an emergency fund?
Q: What is an emergency fund and how big should it be?
Q: How many months of expenses should I save for emergencies?
A: A common guideline is three to six months of essential expenses, kept in an easy-to-access savings account. If your income is irregular, aim for the higher end.
W: An emergency fund only needs to cover about one week of expenses; anything more is wasted money.
@ compound-interest | compound interest
Q: What is compound interest?
Q: Can you explain compound interest simply?
Q: How does compound interest work?
A: Compound interest means you earn interest on your original money and on the interest it has already earned. Over time your balance grows faster and faster, which is why starting early helps.
W: Compound interest means the bank pays you the same fixed amount every year, no matter how much is in the account.
@ credit-score | credit scores
Q: How can I improve my credit score?
Q: What helps build a good credit score?
Q: What's the best way to raise my credit score?
A: Pay every bill on time, keep your credit card balances low compared with your limits, and avoid opening lots of new accounts at once. A long, steady history helps most.
W: The fastest way to raise your score is to max out your credit cards, because lenders like to see high balances.
@ budget-rule | the 50/30/20 rule
Q: What is the 50/30/20 budgeting rule?
Q: Can you explain the 50/30/20 budget?
Q: How does the 50-30-20 rule work?
A: It splits your after-tax income into three parts: about 50% for needs like rent and groceries, 30% for wants, and 20% for savings and paying off debt.
W: It means you spend 50% of your income on wants, save 30% and give 20% to charity.
@ minimum-payment | minimum credit card payments
Q: Is it okay to pay only the minimum on my credit card?
Q: What happens if I only make minimum payments?
Q: Should I pay the minimum or the full balance on a credit card?
A: Paying the minimum keeps your account in good standing, but interest builds up on the rest, so the debt can take years to clear. Paying the full balance each month avoids interest entirely.
W: Paying the minimum is the smartest choice, because interest only applies to the part you've already paid.
@ index-fund | index funds
Q: What is an index fund?
Q: Can you explain what an index fund is?
Q: How does an index fund work?
A: An index fund is an investment fund that tracks a market index, such as the S&P 500, by holding the same companies. It gives broad diversification and usually has low fees.
W: An index fund is a savings account with a fixed interest rate that the government guarantees.
@ diversification | diversification
Q: What does diversification mean in investing?
Q: Why shouldn't I put all my money in one stock?
Q: Why is diversification important?
A: Diversification means spreading your money across many investments, so one company or sector doing badly doesn't sink your whole portfolio. It lowers your risk.
W: Diversification means putting all your money into the one stock you believe in most, so you can watch it closely.
@ inflation | inflation
Q: What is inflation?
Q: Can you explain inflation in simple terms?
Q: What does inflation mean for my savings?
A: Inflation is the general rise in prices over time, which means each dollar buys a little less. If your savings earn less interest than the inflation rate, their buying power shrinks.
W: Inflation is when prices fall over time, so money kept under the mattress gains value every year.
@ apr | APR
Q: What does APR mean?
Q: What's the APR on a loan?
Q: Can you explain what APR is?
A: APR stands for annual percentage rate. It's the yearly cost of borrowing, including interest and some fees, so it's useful for comparing loans and credit cards.
W: APR is the amount you pay back each month, shown as a percentage of your salary.
@ gross-net | gross and net income
Q: What's the difference between gross and net income?
Q: What does net pay mean?
Q: Is gross salary before or after tax?
A: Gross income is what you earn before taxes and deductions. Net income, or take-home pay, is what's left after taxes, retirement contributions and other deductions.
W: Net income is your salary before tax, and gross income is what actually lands in your bank account.
@ employer-match | employer retirement matches
Q: Should I take my employer's retirement match?
Q: What does an employer match on a retirement plan mean?
Q: Is a 401(k) match worth it?
A: Your employer adds money when you contribute, often up to a set percentage of your salary. It's usually worth contributing enough to get the full match; otherwise you're turning down part of your pay.
W: The match is just a loan from your employer that you have to pay back when you leave, so it's best avoided.
@ bank-phishing | emails asking for bank details
Q: Will my bank ever ask for my password by email?
Q: I got an email from my bank asking for my PIN. Is that normal?
Q: Should I reply to a text asking for my bank details?
A: No. Legitimate banks don't ask for your password or PIN by email or text. Don't click any links; contact the bank using the number on its website or on your card.
W: Yes, banks often email customers for their PIN to keep accounts secure, so it's fine to reply with it.

## travel advice
@ passport-validity | passport validity
Q: How long should my passport be valid for international travel?
Q: Do I need months left on my passport to travel?
Q: Is my passport okay if it expires next month?
A: Many countries require your passport to be valid for at least six months beyond your arrival date, so check the rules for your destination and renew early if you're close.
W: As long as your passport hasn't expired on the day you fly out, every country will let you in.
@ jet-lag | jet lag
Q: How can I reduce jet lag?
Q: What's the best way to get over jet lag?
Q: Any tips for dealing with jet lag?
A: Shift your sleep schedule gradually before you leave, drink plenty of water, and get daylight at your destination in the morning. Try to stay up until local bedtime on the first day.
W: Sleep as much as possible during the day when you arrive. That's the fastest way to adjust.
@ carry-on-liquids | liquids in carry-on bags
Q: How much liquid can I bring in my carry-on?
Q: What are the rules for liquids in hand luggage?
Q: Can I take a full bottle of shampoo through airport security?
A: At many airports, liquids in carry-on bags must be in containers of 100 ml (3.4 oz) or less, all in one clear resealable bag of about 1 liter. Rules vary, so check with your airport.
W: There's no limit on liquids in carry-on luggage, so a full 1-liter bottle of shampoo is fine everywhere.
@ travel-insurance | travel insurance
Q: Do I need travel insurance?
Q: Is travel insurance worth buying?
Q: Why should I get travel insurance for a trip abroad?
A: It's a good idea for most trips abroad. It can cover medical emergencies, cancellations and lost luggage, and medical care overseas can be extremely expensive without it.
W: Travel insurance is never worth it, since your health insurance at home always covers you abroad.
@ airport-early | getting to the airport
Q: How early should I get to the airport for an international flight?
Q: How long before an international flight should I arrive?
Q: When should I get to the airport to fly abroad?
A: For international flights, aim to arrive about three hours before departure; for domestic flights, about two hours is usually enough. Allow extra time at busy airports.
W: Twenty minutes before departure is plenty for an international flight, since boarding always runs late.
@ passport-copies | copies of travel documents
Q: Should I make copies of my passport when traveling?
Q: What should I do in case I lose my passport abroad?
Q: What documents should I back up before a trip?
A: Keep a photocopy or photo of your passport, visas and insurance details separate from the originals. If you lose your passport abroad, contact your country's embassy or consulate.
W: There's no point making copies. If you lose your passport abroad, the airline will just print you a new one.
@ plug-adapter | plug adapters
Q: Do I need a plug adapter when traveling abroad?
Q: Will my phone charger work in another country?
Q: What's the difference between a plug adapter and a voltage converter?
A: Plug shapes differ between countries, so you'll often need an adapter. It only changes the plug shape, not the voltage; most phone and laptop chargers handle 100 to 240 volts, but check the label of other devices.
W: Plugs are the same in every country, so you'll never need an adapter or a converter.
@ tap-water | drinking tap water abroad
Q: Is it safe to drink tap water when traveling?
Q: Can I drink the tap water abroad?
Q: How do I know if tap water is safe in another country?
A: It depends on the destination. In many countries tap water is perfectly safe, but in others it's best to stick to bottled or boiled water. Check a reliable travel health site before you go.
W: Tap water is safe to drink everywhere in the world, so there's no need to check before you go.
@ exchange-money | exchanging money
Q: Where's the best place to exchange money for a trip?
Q: Should I change money at the airport?
Q: What's the cheapest way to get foreign currency?
A: Airport exchange counters usually have the worst rates. Withdrawing cash from a local ATM or paying with a card that has no foreign transaction fees is often cheaper.
W: Airport exchange counters always give the best rates, so it's smartest to change all your money there.
@ pack-light | packing light
Q: How can I pack light for a week-long trip?
Q: Any tips for traveling with only a carry-on?
Q: How do I fit a week of clothes in a small bag?
A: Pick clothes that mix and match, plan to wear items more than once, roll your clothes, and wear your bulkiest shoes and jacket on the plane. Travel-size toiletries save space too.
W: Pack a separate outfit for every day plus a few spares, and fold rather than roll, since rolling wastes space.
@ long-flight | long flights
Q: How can I stay comfortable on a long flight?
Q: Any tips for a long-haul flight?
Q: What should I do to avoid stiff legs on a long flight?
A: Get up and walk the aisle every hour or two, flex your ankles while seated, drink water and go easy on alcohol. Loose clothing and compression socks can help too.
W: Stay in your seat for the whole flight and avoid drinking water, so you never need to get up.

## home repair
@ slow-drain | a slow drain
Q: How do I unclog a slow bathroom sink?
Q: What's a good way to clear a clogged drain?
Q: My sink drains really slowly. How can I fix it?
A: Try a plunger first, then remove and clean the pop-up stopper, since hair often collects there. A plastic drain snake can pull out deeper clogs. Never mix chemical drain cleaners.
W: Pour a bottle of cooking oil down the drain. It lubricates the pipe and the clog slides right out.
@ breaker | a tripped circuit breaker
Q: What should I do if a circuit breaker trips?
Q: Why does my breaker keep tripping?
Q: How do I reset a tripped circuit breaker?
A: Unplug some devices on that circuit, then switch the breaker fully off and back on. If it keeps tripping, the circuit is overloaded or faulty, so call an electrician.
W: If a breaker keeps tripping, tape it in the on position so it can't switch off again.
@ running-toilet | a running toilet
Q: Why does my toilet keep running?
Q: How do I fix a running toilet?
Q: My toilet won't stop filling. What's wrong?
A: The most common cause is a worn flapper at the bottom of the tank that lets water leak through. Replacing it is cheap and easy; also check that the float isn't set too high.
W: A running toilet means the water main is broken, so you'll need to replace all the pipes in the house.
@ drywall-hole | a small hole in drywall
Q: How do I fix a small hole in drywall?
Q: What's the best way to patch a nail hole in a wall?
Q: How can I repair a small hole in plaster?
A: Fill small holes with spackle using a putty knife, let it dry, sand it smooth and paint over it. Larger holes need a mesh patch first.
W: Small drywall holes can only be fixed by replacing the whole wall panel.
@ heavy-mirror | hanging heavy things
Q: How do I hang a heavy mirror safely?
Q: What's the best way to hang something heavy on a wall?
Q: Do I need to find a stud to hang a heavy picture?
A: Screw into a wall stud if you can, or use anchors rated for more than the item's weight. Check the rating on the packaging and use two fixing points for a large mirror.
W: A single small nail will hold any mirror, as long as you hammer it in all the way.
@ squeaky-door | a squeaky door
Q: How do I stop a door from squeaking?
Q: What can I use on a squeaky door hinge?
Q: My door hinges squeak. How do I fix them?
A: Lubricate the hinges with a little silicone spray, white lithium grease or even petroleum jelly. If you can, take out the hinge pin, coat it and put it back.
W: Squeaky hinges just need a coat of paint. The paint muffles the noise.
@ smoke-alarm | smoke alarms
Q: How often should I test my smoke alarm?
Q: How do I know if my smoke detector still works?
Q: When should I replace a smoke alarm?
A: Press the test button once a month, replace the batteries at least once a year unless it has a sealed 10-year battery, and replace the whole alarm about every 10 years.
W: Smoke alarms never need testing. If the little light is on, the alarm will work forever.
@ frozen-pipes | frozen pipes
Q: How can I stop my pipes from freezing in winter?
Q: What should I do to prevent frozen pipes?
Q: How do I protect water pipes during a cold snap?
A: Insulate exposed pipes, keep the heating on low even when you're away, and let a tap drip slightly on very cold nights. Opening the cabinet doors under sinks lets warm air reach the pipes.
W: Turn the heating off completely so the pipes get used to the cold; that makes them less likely to freeze.
@ recaulk | redoing bathtub caulk
Q: How do I replace old caulk around a bathtub?
Q: What's the best way to recaulk a shower?
Q: My bathtub caulk is moldy. How do I redo it?
A: Scrape out all the old caulk, clean the joint and let it dry fully, then apply a thin, even bead of silicone caulk and smooth it. Let it cure for about 24 hours before using the shower.
W: Just apply the new caulk right over the old, moldy caulk. There's no need to remove anything.
@ paint-order | the order to paint a room
Q: When painting a room, what should I paint first?
Q: What's the right order for painting a room?
Q: Should I paint the walls or the ceiling first?
A: Start with the ceiling, then the walls, and finish with the trim and doors. Working from the top down means drips land on surfaces you haven't painted yet.
W: Paint the trim first and the ceiling last, so the drips from the ceiling cover any mistakes on the walls.
@ gas-smell | smelling gas at home
Q: What should I do if I smell gas at home?
Q: I think I smell gas in my house. What now?
Q: Is it dangerous to smell gas in the kitchen?
A: Leave the house right away, don't use light switches or anything that could make a spark, and call your gas company's emergency line or emergency services from outside.
W: Light a match to find where the leak is coming from, then open the windows.

## gardening
@ watering-time | when to water plants
Q: What time of day is best for watering plants?
Q: When should I water my garden?
Q: Is it better to water plants in the morning or the evening?
A: Early morning is usually best. The water soaks in before the heat of the day, and the leaves dry quickly, which reduces the risk of fungal disease.
W: Midday in full sun is the best time, because the heat helps the water soak in faster.
@ tomato-sun | sunlight for tomatoes
Q: How much sun do tomato plants need?
Q: Can I grow tomatoes in the shade?
Q: How many hours of sunlight do tomatoes need?
A: Tomatoes need full sun, ideally at least 6 to 8 hours of direct sunlight a day. In too much shade they grow leggy and produce few fruits.
W: Tomatoes prefer deep shade and only need about an hour of sun a day.
@ compost | composting
Q: What can I put in a compost bin?
Q: What shouldn't go in compost?
Q: How do I start composting at home?
A: Add fruit and vegetable scraps, coffee grounds, eggshells, grass clippings and dry leaves or cardboard. Keep out meat, dairy and oily food, which attract pests and smell.
W: Meat, bones and dairy are the best things to compost, since they break down fastest.
@ overwatering | overwatering
Q: How can I tell if I'm overwatering my plants?
Q: What are the signs of overwatering?
Q: Why are my houseplant's leaves turning yellow?
A: Yellowing lower leaves, soggy soil, wilting despite wet soil and a musty smell are common signs. Let the top few centimeters of soil dry out before watering again, and make sure the pot drains.
W: Yellow leaves always mean the plant is thirsty, so start watering it twice as often.
@ mulch | mulch
Q: What does mulch do in a garden?
Q: Why should I put mulch around my plants?
Q: Is mulching worth it?
A: Mulch keeps moisture in the soil, suppresses weeds and evens out soil temperature. Organic mulches like bark or compost also improve the soil as they break down.
W: Mulch is purely decorative. It has no effect on the soil or the plants.
@ tulip-bulbs | planting tulip bulbs
Q: When should I plant tulip bulbs?
Q: What's the right season to plant tulips?
Q: Can I plant tulip bulbs in spring?
A: Plant tulip bulbs in autumn, a few weeks before the ground freezes. They need a cold period over winter to flower in spring.
W: Plant tulip bulbs in midsummer so they flower the same autumn.
@ pruning-roses | pruning roses
Q: When is the best time to prune roses?
Q: When should I cut back my rose bushes?
Q: What time of year do you prune roses?
A: Most roses are pruned in late winter or early spring, just as new buds start to swell. In colder areas, wait until the hardest frosts are over.
W: Prune roses in the middle of summer while they're in full bloom; that gives more flowers next year.
@ low-light-plants | houseplants for low light
Q: What houseplants do well in low light?
Q: Which indoor plants can handle a dark room?
Q: Can you suggest plants for a shady apartment?
A: Snake plants, ZZ plants and pothos all cope well with low light and don't need much attention. They'll grow more slowly than in bright light, so water them sparingly.
W: Cacti are the best choice for dark rooms, since they need very little light.
@ drainage-holes | drainage holes in pots
Q: Do plant pots need drainage holes?
Q: Why do pots need holes in the bottom?
Q: Is it okay to use a pot without a drainage hole?
A: Most plants need them. Drainage holes let extra water escape, so the roots don't sit in soggy soil and rot.
W: Drainage holes aren't needed; most plants like their roots to sit in water.
@ bees | attracting bees
Q: How can I attract bees to my garden?
Q: What plants are good for pollinators?
Q: How do I make my garden more bee-friendly?
A: Grow a mix of flowers that bloom from spring to autumn, such as lavender, borage and sunflowers, and avoid spraying pesticides. A shallow dish of water with stones in it helps too.
W: Spray the flowers with pesticide regularly; bees prefer plants with no other insects on them.
@ basil | harvesting basil
Q: How do I harvest basil so it keeps growing?
Q: What's the right way to pick basil?
Q: How can I make my basil plant bushier?
A: Pinch off the top pairs of leaves just above a leaf node, and remove any flower buds. The plant will branch out and grow bushier.
W: Pull off the big bottom leaves first and let the plant flower. That keeps basil growing the longest.
@ blueberries | soil for blueberries
Q: What kind of soil do blueberries need?
Q: Why aren't my blueberries growing well?
Q: Do blueberries need acidic soil?
A: Blueberries need acidic soil, ideally with a pH of about 4.5 to 5.5. If your soil is neutral or chalky, grow them in pots of ericaceous compost.
W: Blueberries need very alkaline soil, so add plenty of lime to the bed.

## pets
@ chocolate-dogs | chocolate and dogs
Q: Is chocolate bad for dogs?
Q: Can dogs eat chocolate?
Q: My dog ate some chocolate. Is that dangerous?
A: Chocolate is toxic to dogs because it contains theobromine. Dark and baking chocolate are the most dangerous, so call your vet if your dog eats some.
W: Chocolate is a healthy treat for dogs in any amount, so there's nothing to worry about.
@ cats-milk | cats and milk
Q: Can cats drink milk?
Q: Is cow's milk good for cats?
Q: Should I give my cat a saucer of milk?
A: It's best not to. Most adult cats are lactose intolerant, so cow's milk can upset their stomach. Fresh water is all they need to drink.
W: Yes, cow's milk is the best drink for adult cats and can replace their water.
@ dog-walks | walking a dog
Q: How often should I walk my dog?
Q: How much exercise does a dog need each day?
Q: How many walks a day does a dog need?
A: Most dogs need one or two walks a day, adding up to 30 minutes to 2 hours depending on breed, age and health. High-energy breeds usually need more.
W: Dogs only need a walk once a month; they get enough exercise moving around the house.
@ grapes-dogs | grapes and dogs
Q: Can dogs eat grapes?
Q: Are grapes safe for dogs?
Q: Is it okay to give my dog raisins?
A: No. Grapes and raisins can cause kidney failure in dogs, even in small amounts. Contact a vet straight away if your dog eats any.
W: Yes, grapes and raisins are a great low-calorie treat for dogs.
@ tank-cycling | cycling a fish tank
Q: Why should I cycle a fish tank before adding fish?
Q: What does it mean to cycle an aquarium?
Q: How long should a new tank run before I add fish?
A: Cycling lets beneficial bacteria grow that turn toxic ammonia from fish waste into less harmful nitrate. It usually takes several weeks, and a water test kit tells you when it's ready.
W: Cycling just means rinsing the tank once with hot water; you can add fish the same day.
@ litter-boxes | litter boxes
Q: How many litter boxes do I need for two cats?
Q: How many litter trays should a cat household have?
Q: Is one litter box enough for my cats?
A: A common rule is one litter box per cat, plus one extra, so three for two cats. Put them in quiet, separate spots and scoop them daily.
W: One litter box is enough for any number of cats, as long as you clean it once a month.
@ rabbit-diet | what rabbits eat
Q: What should pet rabbits eat?
Q: Is a carrot-heavy diet good for rabbits?
Q: What's the main food for a rabbit?
A: Rabbits should eat mostly hay, which keeps their teeth and gut healthy, plus fresh leafy greens and a small amount of pellets. Carrots are sugary, so keep them as an occasional treat.
W: Rabbits should eat mainly carrots; hay is only for bedding.
@ dog-years | dog years
Q: How old is my dog in human years?
Q: Is one dog year really seven human years?
Q: How do dog years work?
A: The "multiply by seven" rule is only a rough myth. Dogs age fast early on, with the first year roughly equal to 15 human years, and large breeds age faster than small ones.
W: It's exactly seven human years for every dog year, for every breed and at every age.
@ dog-bath | bathing a dog
Q: How often should I bathe my dog?
Q: How frequently do dogs need a bath?
Q: Can I bathe my dog every day?
A: Most dogs only need a bath every few weeks to every few months, depending on their coat and lifestyle. Bathing too often strips natural oils and can dry out the skin.
W: Dogs should be bathed every day with human shampoo to keep their skin healthy.
@ cat-scratching | cats scratching furniture
Q: How do I stop my cat from scratching the furniture?
Q: Why does my cat scratch the sofa?
Q: What can I do about my cat clawing the couch?
A: Scratching is normal; cats do it to keep their claws healthy and to mark territory. Put sturdy scratching posts near the furniture they target, and reward them for using the posts.
W: Cats scratch furniture to punish their owners, so shouting at them is the best fix.
@ hamster-night | hamsters at night
Q: Are hamsters active during the day?
Q: Why is my hamster awake at night?
Q: When are hamsters most active?
A: Hamsters are mostly active at night and around dusk and dawn, so it's normal for them to sleep during the day. Try not to wake them.
W: Hamsters are strictly daytime animals, so a hamster running around at night is probably sick.
@ puppy-vaccines | puppy vaccinations
Q: When should a puppy get its first vaccinations?
Q: At what age do puppies get their shots?
Q: How old should my puppy be for its first vaccines?
A: Puppies usually start their vaccinations at around 6 to 8 weeks old, with boosters every few weeks until about 16 weeks. Your vet will set the exact schedule.
W: Puppies shouldn't have any vaccinations until they're at least two years old.

## study skills
@ spaced-repetition | spaced repetition
Q: What is spaced repetition?
Q: How does spaced repetition help you learn?
Q: Is cramming better than spaced practice?
A: Spaced repetition means reviewing material at growing intervals, like one day, three days and then a week later. It builds much stronger memories than cramming everything the night before.
W: Spaced repetition means studying the same page again and again in one long session until it sticks.
@ active-recall | studying for exams
Q: What's the best way to study for an exam?
Q: How can I remember what I read for a test?
Q: Is rereading notes an effective way to study?
A: Test yourself instead of just rereading. Practice questions, flashcards and writing out what you remember from memory work better than highlighting or rereading notes.
W: Rereading your notes many times with a highlighter is by far the most effective way to study.
@ pomodoro | the Pomodoro technique
Q: What is the Pomodoro technique?
Q: How does the Pomodoro method work?
Q: Can you explain the Pomodoro technique for studying?
A: You work in focused 25-minute blocks, each followed by a 5-minute break, and take a longer break after four blocks. It helps you get started and keep your focus.
W: It means studying for four hours without a break and then resting for a whole day.
@ all-nighter | sleep before an exam
Q: Should I stay up all night before an exam?
Q: Is pulling an all-nighter a good idea before a test?
Q: Does sleep matter before an exam?
A: It's better to sleep. Sleep helps your brain consolidate what you've learned, and being rested improves concentration and recall on the day.
W: Staying up all night is best, because everything you read at 4 a.m. stays fresh for the exam.
@ cornell-notes | Cornell notes
Q: What is the Cornell note-taking method?
Q: How do Cornell notes work?
Q: Can you explain Cornell notes?
A: You divide the page into a narrow left column for cues or questions, a wider right column for notes and a summary at the bottom. Later you cover the notes and quiz yourself with the cues.
W: Cornell notes means copying the textbook word for word into a notebook.
@ multitasking | studying while multitasking
Q: Can I study effectively while watching TV?
Q: Does multitasking help you study faster?
Q: Is it okay to study with my phone next to me?
A: Usually not. Switching attention between tasks makes learning slower and less accurate. Putting your phone in another room and studying in focused blocks works better.
W: Yes, watching TV while studying actually doubles how much you remember.
@ procrastination | procrastination
Q: How can I stop procrastinating on assignments?
Q: Any tips for beating procrastination?
Q: I keep putting off my homework. What can I do?
A: Break the task into small steps and start with just five or ten minutes on the first one. Set a deadline for each part and remove distractions while you work.
W: Wait until you feel motivated. Forcing yourself to start never works.
@ essay-outline | essay outlines
Q: How do I write a good essay outline?
Q: What should an essay outline include?
Q: How should I structure an essay?
A: Start with your main argument, then list the points that support it, each with its evidence, in a logical order. Finish with a conclusion that ties the points back to your argument.
W: An outline should be a list of random quotes; structure only matters after you finish writing.
@ vocabulary | memorizing vocabulary
Q: What's a good way to memorize vocabulary in a new language?
Q: How can I learn new words faster?
Q: Any tips for remembering foreign words?
A: Use flashcards with spaced repetition, learn words inside example sentences rather than alone, and say them out loud. A little review every day beats one long weekly session.
W: Read the dictionary from A to Z once; your brain will store every word automatically.
@ feynman | the Feynman technique
Q: What is the Feynman technique?
Q: How does explaining something help you learn it?
Q: Can you describe the Feynman learning technique?
A: You explain a concept in simple words, as if teaching someone else. Wherever you get stuck or fall back on jargon, you've found a gap, so you go back to the material and fill it.
W: The Feynman technique means memorizing definitions word for word without trying to understand them.

## workplace
@ follow-up | following up on emails
Q: How long should I wait before following up on an email?
Q: When is it okay to send a follow-up email?
Q: Someone hasn't replied to my email. When should I follow up?
A: For most work emails, waiting two or three working days before a polite follow-up is reasonable. If it's urgent, say so in the original message or pick up the phone.
W: Follow up after ten minutes, and then every hour until they reply.
@ late-meeting | running late to a meeting
Q: What should I do if I'm going to be late for a meeting?
Q: How do I handle running late to a work meeting?
Q: Is it rude to arrive late to a meeting?
A: Let the organizer know as early as you can, give a realistic arrival time, and join quietly without interrupting. A brief apology afterwards is enough.
W: Just walk in whenever you arrive and explain your reasons in detail to everyone.
@ reply-all | reply all
Q: When should I use reply all?
Q: Is it rude to reply all to a company-wide email?
Q: How do I decide between reply and reply all?
A: Use reply all only when everyone on the thread needs your response. For thank-yous or questions for one person, reply only to the sender.
W: Always reply all to company-wide emails so everyone knows you've read them.
@ ask-raise | asking for a raise
Q: How should I ask my manager for a raise?
Q: What's the best way to ask for a pay rise?
Q: Any tips for negotiating a salary increase?
A: Schedule a private conversation, come prepared with examples of your results and market pay data, and ask for a specific figure. Timing it around performance reviews often helps.
W: Bring it up in a team meeting and threaten to quit if they say no.
@ thank-you-note | thank-you notes after interviews
Q: Should I send a thank-you note after a job interview?
Q: Is a thank-you email after an interview necessary?
Q: When should I send a follow-up after an interview?
A: It's a good habit. Send a short email within 24 hours thanking the interviewer, mentioning something specific from the conversation and restating your interest.
W: Don't bother; thanking an interviewer looks desperate and hurts your chances.
@ feedback | giving feedback to coworkers
Q: How do I give constructive feedback to a coworker?
Q: What's a good way to give criticism at work?
Q: How can I tell a colleague their work needs improvement?
A: Do it privately and soon after the event, focus on specific behavior rather than personality, explain the impact, and suggest what could be done differently.
W: Point out their mistakes in front of the whole team so everyone can learn from them.
@ video-calls | video call etiquette
Q: What's good etiquette on video calls?
Q: How should I behave in online meetings?
Q: Any tips for professional video calls?
A: Mute yourself when you're not speaking, check your camera and background beforehand, and look at the camera when you talk. Avoid doing other work during the meeting.
W: Keep your microphone on the whole time and eat lunch during the call; nobody minds.
@ subject-lines | email subject lines
Q: How do I write a good email subject line at work?
Q: What makes a good subject line?
Q: Should work emails have a subject line?
A: Always include one. Keep it short and specific, for example "Budget review moved to Friday," so the reader knows what the email is about before opening it.
W: Leave the subject line blank; it makes people curious enough to open the email.
@ resigning | resigning from a job
Q: How much notice should I give when quitting a job?
Q: What's the polite way to resign?
Q: How do I tell my boss I'm leaving?
A: Two weeks is a common minimum in many places, but check your contract. Tell your manager in person first, then follow up with a short, polite resignation letter.
W: It's normal to leave without telling anyone and simply stop showing up.
@ office-kitchen | the shared office kitchen
Q: What's the etiquette for a shared office kitchen?
Q: How should I behave in the office kitchen?
Q: Is it okay to leave dishes in the office sink?
A: Clean up after yourself right away, label your food, don't take anything that isn't yours, and throw out leftovers before they go bad.
W: Leave your dishes in the sink; whoever comes in next will wash them.
@ first-day | a first day at work
Q: How should I introduce myself at a new job?
Q: What should I say on my first day at work?
Q: Any tips for making a good impression on my first day?
A: Keep it short and friendly: your name, your role and a little about what you'll be working on. Ask colleagues about their work and make a note of names.
W: Give everyone a twenty-minute summary of your whole life story.

## programming
@ variable | variables
Q: What is a variable in programming?
Q: Can you explain what a variable is?
Q: What does a variable do in code?
A: A variable is a named place to store a value, such as a number or a piece of text, so your program can use and change it later. For example, count = 3 stores 3 under the name count.
W: A variable is a value that can never change once the program starts running.
@ loop | loops
Q: What is a loop in programming?
Q: Why do programmers use loops?
Q: Can you explain what a for loop does?
A: A loop repeats a block of code, either a set number of times or while a condition holds. A for loop, for instance, can run the same steps once for every item in a list.
W: A loop is a piece of code that runs exactly once and then deletes itself.
@ bug | bugs and debugging
Q: What is a bug in software?
Q: What does debugging mean?
Q: What do programmers mean by a bug?
A: A bug is a mistake in a program that makes it behave in an unexpected way. Debugging is the process of finding and fixing those mistakes, often by testing and reading error messages.
W: A bug is a feature that programmers add on purpose to slow a program down.
@ function | functions
Q: What is a function in programming?
Q: Why should I use functions in my code?
Q: What does a function do?
A: A function is a named, reusable block of code that performs a task. It can take inputs, called parameters, and return a result, so you don't repeat the same code in many places.
W: A function is a comment that explains the code to other programmers.
@ compiled | compiled and interpreted languages
Q: What's the difference between a compiled and an interpreted language?
Q: Is Python compiled or interpreted?
Q: How do compiled languages differ from interpreted ones?
A: A compiled language is translated into machine code before it runs, while an interpreted one is executed by another program as it goes. Many languages mix both; Python compiles to bytecode that an interpreter runs.
W: Compiled languages only run on the computer they were written on, and interpreted languages never need any other software.
@ git | Git
Q: What is Git used for?
Q: Why do programmers use version control?
Q: What does Git do?
A: Git is a version control system. It records the history of changes to your files, lets you go back to earlier versions and helps several people work on the same code without overwriting each other.
W: Git is a programming language used to build websites.
@ zero-index | array indexes
Q: Why do arrays start at index 0?
Q: What is the first index of an array in most languages?
Q: In Python, what's the index of the first item in a list?
A: In most languages, including Python, C and Java, the first element is at index 0. The index is an offset from the start, and the first item is zero steps away.
W: Arrays always start at index 1 in Python, C and Java, because counting starts at one.
@ boolean | booleans
Q: What is a boolean?
Q: What does boolean mean in programming?
Q: What values can a boolean have?
A: A boolean is a data type with only two possible values: true or false. Booleans are used in conditions, such as deciding which branch of an if statement runs.
W: A boolean is a data type for storing decimal numbers with high precision.
@ recursion | recursion
Q: What is recursion?
Q: Can you explain recursion simply?
Q: What does it mean when a function is recursive?
A: Recursion is when a function calls itself to solve a smaller version of the same problem. It needs a base case that stops the calls; otherwise it would never finish.
W: Recursion is when two programs run at the same time on different computers.
@ comments | code comments
Q: Why should I write comments in my code?
Q: What are code comments for?
Q: How do comments help programmers?
A: Comments explain why the code does what it does, which helps other people, and your future self, understand it. The computer ignores them when it runs the program.
W: Comments make a program run faster, so you should add as many as possible.
@ open-source | open source
Q: What does open source mean?
Q: What is open-source software?
Q: Can you explain open source?
A: Open-source software has source code that anyone can read, modify and share under a license that allows it. Linux and Firefox are well-known examples.
W: Open source means the software is free to download, but its code is always kept secret.
@ syntax-error | syntax errors
Q: What is a syntax error?
Q: What does it mean when I get a syntax error?
Q: How do I fix a syntax error?
A: A syntax error means the code breaks the rules of the language, such as a missing bracket or colon, so it can't run. The error message usually points to the line where the problem was found.
W: A syntax error means your computer doesn't have enough memory to run the program.
@ ram-storage | RAM and storage
Q: What's the difference between RAM and storage?
Q: Is memory the same as storage on a computer?
Q: Does more RAM give me more space for files?
A: RAM is fast, temporary memory for what's running right now, and it's cleared when you switch off. Storage, like an SSD, keeps your files permanently, so more RAM doesn't give you more file space.
W: RAM and storage are the same thing, so adding RAM gives you more room for your photos.
@ http-404 | 404 errors
Q: What does a 404 error mean?
Q: Why do I get a 404 page?
Q: What is a 404 Not Found error?
A: A 404 means the server was reached but couldn't find the page you asked for. Usually the link is broken, or the page has been moved or deleted.
W: A 404 means your internet connection is down and the page can't load.

## grammar
@ their-there | their, there and they're
Q: What's the difference between their, there and they're?
Q: When do I use there versus their?
Q: How do I remember their, there and they're?
A: "Their" shows possession (their car), "there" refers to a place or starts a sentence (over there, there is), and "they're" is short for "they are."
W: They're all different spellings of the same word, so you can use whichever you like.
@ affect-effect | affect and effect
Q: What's the difference between affect and effect?
Q: Should I say it will affect me or effect me?
Q: When do I use affect versus effect?
A: In most cases, "affect" is a verb meaning to influence, and "effect" is a noun meaning a result. So the weather affects your mood, and that change is an effect.
W: "Effect" is the verb and "affect" is the noun, so you'd say the weather effects your mood.
@ fewer-less | fewer and less
Q: When should I use fewer instead of less?
Q: Is it fewer or less items?
Q: What's the difference between fewer and less?
A: Use "fewer" for things you can count (fewer apples, fewer mistakes) and "less" for things you can't (less water, less time).
W: "Less" is for things you can count and "fewer" is for things you can't, so you'd say fewer water and less apples.
@ its-its | its and it's
Q: What's the difference between its and it's?
Q: When do I use it's with an apostrophe?
Q: Is it its or it's when showing possession?
A: "It's" is short for "it is" or "it has," while "its" shows possession, as in "the dog wagged its tail." If you can say "it is," use the apostrophe.
W: "It's" shows possession, as in "the dog wagged it's tail," and "its" is short for "it is."
@ who-whom | who and whom
Q: When should I use whom instead of who?
Q: What's the difference between who and whom?
Q: Is it "to who it may concern" or "to whom it may concern"?
A: Use "who" for the subject of a verb and "whom" for the object. A quick test: if you could answer with "him," use "whom"; if "he," use "who." So it's "to whom it may concern."
W: "Whom" is just a fancier spelling of "who," so the two are always interchangeable.
@ semicolon | semicolons
Q: How do I use a semicolon?
Q: When should I use a semicolon instead of a comma?
Q: What is a semicolon for?
A: A semicolon joins two closely related complete sentences without a conjunction, as in "I was tired; I went to bed early." It can also separate items in a complicated list.
W: A semicolon goes before every "and" in a sentence, as in "I was tired; and I went to bed."
@ ie-eg | i.e. and e.g.
Q: What's the difference between i.e. and e.g.?
Q: When do I use e.g. instead of i.e.?
Q: What do i.e. and e.g. mean?
A: "E.g." means "for example" and introduces examples, while "i.e." means "that is" and introduces a restatement or clarification.
W: "I.e." means "for example" and "e.g." means "in other words," so they're used the other way around.
@ passive-voice | the passive voice
Q: What is the passive voice?
Q: How do I recognize the passive voice?
Q: Can you explain active versus passive voice?
A: In the passive voice, the subject receives the action, as in "The cake was eaten by the kids." In the active voice, the subject does it: "The kids ate the cake."
W: The passive voice just means writing in the past tense, as in "I walked to school."
@ me-or-i | "my friend and I" or "my friend and me"
Q: Is it "my friend and I" or "my friend and me"?
Q: When do I say "me and my friend" versus "my friend and I"?
Q: Which is correct: "between you and me" or "between you and I"?
A: It depends on the role in the sentence: "I" for a subject and "me" for an object. Drop the other person to check: "My friend and I went out," but "She invited my friend and me." So it's "between you and me."
W: "My friend and I" is correct in every position, so "between you and I" is the proper form.
@ apostrophe-plural | apostrophes in plurals
Q: Do you use an apostrophe to make a word plural?
Q: Is it "apple's" or "apples" for more than one apple?
Q: When should I use an apostrophe with an s?
A: Plurals don't take an apostrophe: one apple, two apples. The apostrophe shows possession, as in "the apple's skin," or marks missing letters in contractions like "don't."
W: You add an apostrophe before the s for any plural, as in "two apple's."
@ whose-whos | whose and who's
Q: What's the difference between whose and who's?
Q: When do I use whose instead of who's?
Q: Is it "whose turn is it" or "who's turn is it"?
A: "Whose" shows possession, as in "Whose turn is it?", while "who's" is short for "who is" or "who has," as in "Who's coming tonight?"
W: "Who's" shows possession, as in "Who's turn is it?", and "whose" is short for "who is."

## world records
@ longest-river | the longest river
Q: What is the longest river in the world?
Q: Which river is the longest on Earth?
Q: What's the world's longest river?
A: The Nile in Africa is usually listed as the longest river, at about 6,650 kilometers, though some measurements put the Amazon slightly ahead.
W: The Mississippi is the longest river in the world, at about 12,000 kilometers.
@ largest-ocean | the largest ocean
Q: What is the largest ocean?
Q: Which ocean is the biggest?
Q: Name the largest ocean on Earth.
A: The Pacific is the largest ocean. It covers about a third of Earth's surface, more than all the land put together.
W: The Atlantic is the largest ocean, covering about two-thirds of Earth's surface.
@ tallest-mountain | the tallest mountain
Q: What is the tallest mountain in the world?
Q: Which mountain is the highest on Earth?
Q: How tall is the highest mountain in the world?
A: Mount Everest, on the border of Nepal and China, is the highest mountain above sea level, at about 8,849 meters.
W: K2 is the highest mountain in the world, at about 9,500 meters above sea level.
@ largest-desert | the largest desert
Q: What is the largest desert in the world?
Q: Which desert is the biggest?
Q: Is the Sahara the largest desert?
A: If you count cold deserts, the largest is Antarctica. The largest hot desert is the Sahara, in North Africa.
W: The Gobi Desert in Mongolia is the largest desert in the world, bigger than all the others combined.
@ largest-country | the largest country
Q: What is the largest country in the world by area?
Q: Which country is the biggest by land area?
Q: What's the biggest country in the world?
A: Russia is the largest country by area, at about 17 million square kilometers. Canada comes second, with about 10 million.
W: Canada is the largest country by area, about twice the size of Russia, which comes second.
@ smallest-country | the smallest country
Q: What is the smallest country in the world?
Q: Which country is the tiniest?
Q: What's the world's smallest independent state?
A: Vatican City is the smallest country, at about 0.44 square kilometers. It's an independent city-state surrounded by Rome.
W: Luxembourg is the smallest country in the world, at about 2 square kilometers.
@ most-populous | the most populous country
Q: Which country has the largest population?
Q: What is the most populous country in the world?
Q: Does China or India have more people?
A: India became the most populous country in 2023, overtaking China. Each has more than 1.4 billion people.
W: The United States is the most populous country in the world, with about 3 billion people.
@ deepest-point | the deepest point in the ocean
Q: What is the deepest point in the ocean?
Q: How deep is the deepest part of the ocean?
Q: Where is the deepest place on Earth?
A: The deepest point is the Challenger Deep in the Mariana Trench, in the western Pacific, at nearly 11,000 meters.
W: The deepest point is in the middle of the Atlantic, about 2,000 meters down.
@ largest-continent | the largest continent
Q: What is the largest continent?
Q: Which continent is the biggest?
Q: What's the biggest continent by area?
A: Asia is the largest continent, both by area and by population. It covers about 30% of Earth's land.
W: Africa is the largest continent, about twice the size of Asia.
@ largest-lake | the largest lake
Q: What is the largest lake in the world?
Q: Which lake is the biggest on Earth?
Q: What's the world's largest lake by area?
A: By area, the Caspian Sea is the largest lake, even though it's called a sea. The largest freshwater lake by area is Lake Superior.
W: Lake Victoria is the largest lake in the world, about ten times the size of the Caspian Sea.
@ how-many-continents | the number of continents
Q: How many continents are there?
Q: What are the continents of the world?
Q: How many continents does Earth have?
A: The most common count is seven: Africa, Antarctica, Asia, Australia, Europe, North America and South America. Some countries teach fewer by combining the Americas or Europe and Asia.
W: There are twelve continents, counting each of the large islands separately.
"""


def parse_handwritten(text):
    facts, domain, cur = [], None, None
    for line in text.strip().splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("## "):
            domain = line[3:].strip()
        elif line.startswith("@ "):
            key, topic = [x.strip() for x in line[2:].split("|")]
            cur = dict(domain=domain, key=key, topic=topic, Q=[], A=[], W=[])
            facts.append(cur)
        else:
            tag, body = line.split(":", 1)
            cur[tag].append(body.strip())
    out = []
    for f in facts:
        assert f["Q"] and f["A"] and f["W"], f["key"]

        def good(rng, standalone=False, f=f):
            return rng.choice(f["A"])

        def wrong(rng, pool, f=f):
            return rng.choice(f["W"])

        family = "advice:" + f["domain"]
        out.append(Fact(f"{family}:{f['key']}", family, f["domain"], "hw:" + f["key"], f["topic"], f["Q"],
                        good, wrong, weight=2))
    return out


# ----------------------------------------------------------------------------------------------------
# Arithmetic: word problems and conversions, generated from numbers. A wrong answer shows its working
# with the wrong operation, factor or formula, so the error is visible in the text.

NAMES = ["Maya", "Liam", "Sofia", "Noah", "Aisha", "Lucas", "Emma", "Omar", "Chloe", "Ethan", "Priya", "Mateo",
         "Hannah", "Kenji", "Zoe", "Daniel", "Fatima", "Leo", "Grace", "Samuel", "Nina", "Jack", "Amara", "Ben",
         "Lily", "Carlos", "Ava", "Yusuf", "Mia", "Tom"]


def param_fact(family, key, topic, prompts, good_tmpls, gf, wrong_tmpls, wf):
    def good(rng, standalone=False):
        return cap(rng.choice(good_tmpls).format(**gf))

    def wrong(rng, pool):
        return cap(rng.choice(wrong_tmpls).format(**wf))

    fact = Fact(f"{family}:{key}", family, "arithmetic", f"{family}:{key}", topic, prompts, good, wrong)
    fact.params = gf
    return fact


def plural_container(c):
    return c + "es" if c.endswith("x") else c + "s"


PER_PROBLEM = 20  # word problems drawn per kind (duplicates dropped)
PER_CONVERSION = 6  # values per unit conversion


def arithmetic_facts(rng):
    facts, seen = [], set()

    def add(fact):
        if fact.fid not in seen:
            seen.add(fact.fid)
            facts.append(fact)

    # packs: multiplication (wrong: addition)
    items = [("pencils", "box", (10, 12, 24)), ("stickers", "sheet", (12, 20, 24, 30)), ("batteries", "pack", (4, 8, 12)),
             ("cookies", "box", (12, 16, 18, 24)), ("tea bags", "box", (20, 40, 50, 80)),
             ("trading cards", "pack", (5, 8, 10, 12)), ("markers", "set", (8, 10, 12, 24)), ("eggs", "carton", (6, 12, 18)),
             ("muffins", "tray", (6, 12)), ("tennis balls", "tube", (3, 4)), ("crayons", "box", (8, 16, 24, 64)),
             ("light bulbs", "pack", (2, 4, 6)), ("postcards", "set", (5, 10, 12))]
    for _ in range(PER_PROBLEM):
        item, c, sizes = rng.choice(items)
        a, b, n = rng.randint(2, 12), rng.choice(sizes), rng.choice(NAMES)
        cs = plural_container(c)
        f = dict(a=a, b=b, item=item, c=c, cs=cs, N=n)
        prompts = [f"{n} buys {a} {cs} of {item}, and each {c} contains {b} {item}. How many {item} does {n} have in total?",
                   f"If {n} buys {a} {cs} with {b} {item} in each, how many {item} is that altogether?",
                   f"There are {b} {item} in a {c}. How many {item} are in {a} {cs}?",
                   f"How many {item} are there in {a} {cs} of {b}?",
                   f"{n} wants to know how many {item} come in {a} {cs} if each {c} holds {b}. Can you work it out?"]
        tm = ["{a} {cs} with {b} {item} in each gives {a} {op} {b} = {r}, so that's {r} {item} in total.",
              "There are {r} {item} altogether, because {a} {op} {b} = {r}.",
              "Work it out as {a} {op} {b} = {r}. So there are {r} {item}."]
        add(param_fact("math_packs", f"{a}x{b}-{item}", f"how many {item} that makes", prompts,
                       tm, dict(f, op="×", r=a * b), tm, dict(f, op="+", r=a + b)))

    # equal shares: division (wrong: multiplication or subtraction)
    share_items = ["stickers", "marbles", "cookies", "grapes", "pencils", "cards", "sweets", "strawberries",
                   "balloons", "crackers", "coins", "seashells"]
    for _ in range(PER_PROBLEM):
        item, k, q, n = rng.choice(share_items), rng.randint(2, 8), rng.randint(3, 15), rng.choice(NAMES)
        t = k * q
        prompts = [f"{n} has {t} {item} to share equally among {k} friends. How many does each friend get?",
                   f"If {t} {item} are split evenly between {k} people, how many does each person get?",
                   f"{t} {item} shared equally among {k} kids: how many does each kid get?",
                   f"I have {t} {item} and {k} friends. If I share them out equally, how many does each friend get?",
                   f"How many {item} does each of {k} people get if {t} are shared equally?"]
        tm = ["Sharing {t} equally between {k} gives {t} {op} {k} = {r}, so each one gets {r} {item}.",
              "Each gets {r} {item}, since {t} {op} {k} = {r}.",
              "Work it out as {t} {op} {k} = {r}. So that's {r} {item} each."]
        wop, wr = ("×", t * k) if rng.random() < 0.5 else ("−", t - k)
        add(param_fact("math_share", f"{t}/{k}-{item}", f"sharing out the {item}", prompts,
                       tm, dict(t=t, k=k, item=item, op="÷", r=q), tm, dict(t=t, k=k, item=item, op=wop, r=wr)))

    # change from a purchase: subtraction (wrong: addition)
    things = [("a sandwich", 4, 11), ("a book", 8, 24), ("a T-shirt", 8, 29), ("a movie ticket", 8, 15),
              ("a phone case", 9, 29), ("a pizza", 9, 24), ("a bunch of flowers", 8, 34), ("a notebook", 2, 8),
              ("a lamp", 15, 44), ("a scarf", 10, 34), ("a board game", 15, 44), ("a bag of coffee", 6, 17)]
    for _ in range(PER_PROBLEM):
        thing, lo, hi = rng.choice(things)
        price = rng.randint(lo, hi) + rng.choice([0, 0.25, 0.49, 0.5, 0.75, 0.99, 0.1, 0.35, 0.8])
        bill = rng.choice([b for b in (20, 50, 100) if b > price])
        n = rng.choice(NAMES)
        P, B = money(price), money(bill)
        prompts = [f"{n} buys {thing} for {P} and pays with a {B} bill. How much change should {n} get?",
                   f"If something costs {P} and I pay with a {B} bill, how much change do I get?",
                   f"I paid for {thing} that cost {P} with a {B} note. What change should I receive?",
                   f"How much change do you get from {B} for a purchase of {P}?"]
        tm = ["Starting from the amount paid: {B} {op} {P} = {R}, so the change is {R}.",
              "The change is {R}, because {B} {op} {P} = {R}.",
              "Work it out as {B} {op} {P} = {R}. So you should get {R} back."]
        add(param_fact("math_change", f"{price}-{bill}", f"the change from {B}", prompts,
                       tm, dict(B=B, P=P, op="−", R=money(bill - price)),
                       tm, dict(B=B, P=P, op="+", R=money(bill + price))))

    # discounts (wrong: the percentage taken as dollars, or a slipped decimal point)
    goods = [("jacket", (60, 80, 120, 150, 200)), ("pair of shoes", (40, 60, 80, 120, 160)), ("backpack", (30, 40, 60, 80)),
             ("coffee maker", (40, 60, 80, 120, 200)), ("bike helmet", (30, 40, 60, 80)), ("desk chair", (80, 120, 160, 240)),
             ("watch", (40, 60, 120, 200, 240)), ("suitcase", (60, 80, 120, 160, 240)), ("pair of headphones", (30, 60, 80, 200)),
             ("rug", (60, 80, 120, 240)), ("blender", (30, 40, 60, 80, 120)), ("tent", (60, 80, 120, 150, 240))]
    for _ in range(PER_PROBLEM):
        (g, prices), d = rng.choice(goods), rng.choice([10, 20, 25, 30, 40, 50])
        p = rng.choice(prices)
        disc = p * d / 100
        if rng.random() < 0.6:
            wdisc = float(d)
        else:
            wdisc = p * d / 1000
        if abs(wdisc - disc) < 1e-9:
            continue
        P = money(p)
        aP = ("an " if str(p).startswith("8") or p in (11, 18) else "a ") + P  # "an $80 watch"
        prompts = [f"A {g} costs {P} and is {d}% off. What's the sale price?",
                   f"What is the sale price of {aP} {g} with a {d}% discount?",
                   f"If a {g} that normally costs {P} is marked {d}% off, how much do I pay?",
                   f"The shop has {d}% off everything. How much is {aP} {g} now?"]
        tm = ["{d}% of {P} is {D}, so the sale price is {P} − {D} = {S}.",
              "The discount is {D} ({d}% of {P}), which brings the price down to {S}.",
              "Take {d}% off: {d}% of {P} is {D}, and {P} − {D} = {S}. So you pay {S}."]
        add(param_fact("math_discount", f"{g}-{p}-{d}", "the sale price", prompts,
                       tm, dict(d=d, P=P, D=money(disc), S=money(p - disc)),
                       tm, dict(d=d, P=P, D=money(wdisc), S=money(p - wdisc))))

    # speed, distance and time (wrong: the inverse operation)
    vehicles = [("train", (60, 80, 90, 100, 120, 150)), ("car", (50, 60, 70, 80, 90, 100)),
                ("bus", (40, 50, 60, 80)), ("cyclist", (12, 15, 18, 20, 24)), ("ferry", (20, 24, 30, 36))]
    for _ in range(PER_PROBLEM):
        veh, speeds = rng.choice(vehicles)
        v = rng.choice(speeds)
        hs = [h for h in (2, 3, 4, 5, 6) if v % h == 0 and v // h != v * h]
        h = rng.choice(hs)
        if rng.random() < 0.5:
            prompts = [f"A {veh} travels at {v} km/h for {h} hours. How far does it go?",
                       f"If a {veh} keeps up {v} kilometers per hour for {h} hours, how far does it get?",
                       f"How many kilometers does a {veh} cover in {h} hours at {v} km/h?",
                       f"A {veh} goes {v} km/h. What distance does it cover in {h} hours?"]
            tm = ["Distance from speed and time: {v} {op} {h} = {r}, so it covers {r} kilometers.",
                  "It goes {r} kilometers, because {v} {op} {h} = {r}.",
                  "Work it out as {v} {op} {h} = {r}. That's {r} km."]
            add(param_fact("math_speed", f"d-{veh}-{v}-{h}", f"how far the {veh} goes", prompts,
                           tm, dict(v=v, h=h, op="×", r=v * h), tm, dict(v=v, h=h, op="÷", r=v // h)))
        else:
            d = v * h
            prompts = [f"How long does it take a {veh} to travel {d} km at {v} km/h?",
                       f"A {veh} moving at {v} km/h has {d} kilometers to go. How many hours will that take?",
                       f"At {v} km/h, how many hours does a {d} km trip by {veh} take?",
                       f"If a {veh} averages {v} kilometers per hour, how long is a {d} km journey?"]
            tm = ["Time from distance and speed: {d} {op} {v} = {r}, so it takes {r} hours.",
                  "It takes {r} hours, because {d} {op} {v} = {r}.",
                  "Work it out as {d} {op} {v} = {r}. That's {r} hours."]
            add(param_fact("math_speed", f"t-{veh}-{v}-{d}", "the travel time", prompts,
                           tm, dict(d=d, v=v, op="÷", r=h), tm, dict(d=d, v=v, op="×", r=num(d * v))))

    # averages of three scores (wrong: divided by two)
    for _ in range(PER_PROBLEM):
        while True:
            a, b, c = sorted(rng.sample(range(55, 100), 3))
            if (a + b + c) % 3 == 0:
                break
        s, n, key = a + b + c, rng.choice(NAMES), f"{a}-{b}-{c}"
        a, b, c = rng.sample([a, b, c], 3)
        prompts = [f"{n} scored {a}, {b} and {c} on three tests. What is the average score?",
                   f"What's the mean of {a}, {b} and {c}?",
                   f"My three quiz scores are {a}, {b} and {c}. What's my average?",
                   f"Find the average of these test results: {a}, {b}, {c}."]
        tm = ["Add them up and divide: ({a} + {b} + {c}) ÷ {k} = {s} ÷ {k} = {r}.",
              "The average is {r}, because {a} + {b} + {c} = {s} and {s} ÷ {k} = {r}.",
              "The total is {s}, and {s} ÷ {k} = {r}, so the average is {r}."]
        add(param_fact("math_average", key, "the average of those scores", prompts,
                       tm, dict(a=a, b=b, c=c, s=s, k=3, r=s // 3), tm, dict(a=a, b=b, c=c, s=s, k=2, r=num(s / 2))))

    # areas of rectangles (wrong: the perimeter formula)
    for _ in range(PER_PROBLEM):
        w, l = sorted(rng.sample(range(2, 13), 2))
        if l * w == 2 * (l + w):
            continue
        place = rng.choice(["room", "garden plot", "patio", "classroom", "bedroom", "lawn"])
        prompts = [f"A rectangular {place} is {l} meters by {w} meters. What is its area?",
                   f"What's the area of a rectangle that is {l} m long and {w} m wide?",
                   f"How many square meters is a {l} m by {w} m {place}?",
                   f"My {place} measures {l} meters by {w} meters. What's the area?"]
        tm = ["For a rectangle, the area is {calc} = {r} square meters.",
              "That works out to {calc} = {r} square meters.",
              "The area is {r} square meters, since {calc} = {r}."]
        add(param_fact("math_area", f"{l}x{w}", "working out the area", prompts,
                       tm, dict(calc=f"{l} × {w}", r=l * w), tm, dict(calc=f"2 × ({l} + {w})", r=2 * (l + w))))

    # scaling a recipe (wrong: the ratio upside down)
    ings = ["flour", "rice", "pasta", "sugar", "butter", "oats", "lentils", "cheese"]
    for _ in range(PER_PROBLEM):
        ing, x = rng.choice(ings), rng.choice([25, 40, 50, 60, 75, 80, 100, 120])
        n, m = rng.sample([2, 3, 4, 5, 6, 8, 10], 2)
        q = x * n
        prompts = [f"A recipe for {n} people uses {q} grams of {ing}. How much {ing} do I need for {m} people?",
                   f"I'm cooking for {m} instead of {n}. The recipe says {q} g of {ing}. How much should I use?",
                   f"If {q} grams of {ing} serves {n}, how much do I need to serve {m}?",
                   f"Scale this for me: {q} g of {ing} feeds {n} people, and I'll have {m} guests."]
        tm = ["Scale the amount by {m2}/{n2}: {q} × {m2} ÷ {n2} = {r} grams of {ing}.",
              "You need {r} grams, because {q} × {m2} ÷ {n2} = {r}.",
              "Multiply by {m2} and divide by {n2}: {q} × {m2} ÷ {n2} = {r} g of {ing}."]
        add(param_fact("math_recipe", f"{ing}-{q}-{n}-{m}", f"how much {ing} you need", prompts,
                       tm, dict(q=q, m2=m, n2=n, r=num(x * m), ing=ing),
                       tm, dict(q=q, m2=n, n2=m, r=num(q * n / m), ing=ing)))

    # simple interest (wrong: the rate without dividing by 100, or a slipped decimal point)
    for _ in range(PER_PROBLEM):
        P, r, y = rng.choice([500, 1000, 2000, 2500, 4000, 5000, 10000]), rng.choice([2, 3, 4, 5, 6]), rng.randint(2, 10)
        i1 = P * r / 100
        wi1 = P * r if rng.random() < 0.5 else P * r / 1000
        prompts = [f"If I put {money(P)} in a savings account that pays {r}% simple interest per year, how much interest will I earn in {y} years?",
                   f"How much simple interest does {money(P)} earn at {r}% a year over {y} years?",
                   f"I'm saving {money(P)} at {r}% simple annual interest. What's the total interest after {y} years?",
                   f"What's the simple interest on {money(P)} at {r}% per year for {y} years?"]
        tm = ["Each year you earn {r}% of {P}, which is {I1}. Over {y} years that's {I1} × {y} = {I}.",
              "{r}% of {P} is {I1} a year, so {y} years gives {I1} × {y} = {I} in interest.",
              "The interest is {I}: {r}% of {P} is {I1}, and {I1} × {y} = {I}."]
        add(param_fact("math_interest", f"{P}-{r}-{y}", f"the interest on {money(P)}", prompts,
                       tm, dict(r=r, P=money(P), y=y, I1=money(i1), I=money(i1 * y)),
                       tm, dict(r=r, P=money(P), y=y, I1=money(wi1), I=money(wi1 * y))))

    # unit conversions (wrong: a plausible wrong factor)
    # from (sg, pl), to (sg, pl), factor, wrong factor, multiply?, values, context prompts
    conv = [
        (("kilometer", "kilometers"), ("meter", "meters"), 1000, 100, True, [2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 1.5, 2.5, 3.5, 4.5, 0.5, 0.8],
         ["I ran {n} kilometers this morning. How many meters is that?"]),
        (("meter", "meters"), ("centimeter", "centimeters"), 100, 10, True, [2, 3, 4, 5, 6, 7, 8, 1.5, 2.5, 0.75, 1.8, 3.2],
         ["My couch is {n} meters long. How many centimeters is that?"]),
        (("centimeter", "centimeters"), ("millimeter", "millimeters"), 10, 100, True, [3, 4, 5, 6, 7, 8, 9, 12, 15, 25, 2.5, 7.5],
         ["A screw is {n} cm long. How many millimeters is that?"]),
        (("kilogram", "kilograms"), ("gram", "grams"), 1000, 100, True, [2, 3, 4, 5, 6, 7, 8, 1.5, 2.5, 0.5, 0.25, 1.2],
         ["A recipe calls for {n} kilograms of potatoes. How many grams is that?"]),
        (("liter", "liters"), ("milliliter", "milliliters"), 1000, 100, True, [2, 3, 4, 5, 1.5, 2.5, 0.5, 0.75, 0.25, 1.2],
         ["My water bottle holds {n} liters. How many milliliters is that?"]),
        (("hour", "hours"), ("minute", "minutes"), 60, 100, True, [2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 1.5, 2.5, 3.5],
         ["My flight is {n} hours long. How many minutes is that?"]),
        (("minute", "minutes"), ("second", "seconds"), 60, 100, True, [2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20, 2.5],
         ["The bus comes in {n} minutes. How many seconds is that?"]),
        (("day", "days"), ("hour", "hours"), 24, 12, True, [2, 3, 4, 5, 6, 7, 8, 9, 10, 14],
         ["My vacation is {n} days long. How many hours is that?"]),
        (("week", "weeks"), ("day", "days"), 7, 5, True, [2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 16, 20],
         ["My exam is in {n} weeks. How many days is that?"]),
        (("foot", "feet"), ("inch", "inches"), 12, 10, True, [2, 3, 4, 5, 6, 7, 8, 9, 10, 2.5],
         ["My shelf is {n} feet long. How many inches is that?"]),
        (("yard", "yards"), ("foot", "feet"), 3, 12, True, [2, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20, 25],
         ["I need {n} yards of fabric. How many feet is that?"]),
        (("meter", "meters"), ("kilometer", "kilometers"), 1000, 100, False, [500, 1500, 2500, 3200, 4000, 750, 6000, 8500, 250, 12000],
         ["My walk to work is {n} meters. How many kilometers is that?"]),
        (("gram", "grams"), ("kilogram", "kilograms"), 1000, 100, False, [500, 1500, 2500, 3000, 750, 250, 4200, 6000, 1200],
         ["My parcel weighs {n} grams. How many kilograms is that?"]),
        (("minute", "minutes"), ("hour", "hours"), 60, 100, False, [90, 120, 150, 180, 210, 240, 300, 45, 75, 30, 360],
         ["The movie is {n} minutes long. How many hours is that?"]),
        (("milliliter", "milliliters"), ("liter", "liters"), 1000, 100, False, [500, 1500, 2000, 250, 750, 3000, 1250],
         ["This bottle holds {n} milliliters. How many liters is that?"]),
        (("inch", "inches"), ("foot", "feet"), 12, 10, False, [24, 36, 48, 60, 72, 18, 30, 42, 96, 120],
         ["My TV stand is {n} inches wide. How many feet is that?"]),
    ]
    for (fs, fp), (ts, tp), F, WF, mult, values, ctx in conv:
        for n in rng.sample(values, PER_CONVERSION):
            N = num(float(n))
            if mult:
                good_r, wrong_r = num(float(n) * F), num(float(n) * WF)
                tm = ["There are {F} {tp} in {afs}, so {N} {fp} is {r} {tp}.",
                      "{N} {fp} is {r} {tp}, because there are {F} {tp} in {afs}.",
                      "{Afs} has {F} {tp}, so {N} {fp} equals {N} × {F} = {r} {tp}."]
            else:
                good_r, wrong_r = num(float(n) / F), num(float(n) / WF)
                tm = ["There are {F} {fp} in {ats}, so {N} {fp} is {r} {tp}.",
                      "{N} {fp} is {r} {tp}, because there are {F} {fp} in {ats}.",
                      "{Ats} has {F} {fp}, so {N} {fp} equals {N} ÷ {F} = {r} {tp}."]
            a_fs = ("an " if fs in ("hour", "inch") else "a ") + fs
            a_ts = ("an " if ts in ("hour", "inch") else "a ") + ts
            base = dict(N=N, fp=fp, tp=tp, afs=a_fs, Afs=cap(a_fs), ats=a_ts, Ats=cap(a_ts))
            prompts = [f"How many {tp} are in {N} {fp}?", f"Convert {N} {fp} to {tp}.", f"What is {N} {fp} in {tp}?",
                       f"How many {tp} is {N} {fp}?", f"Can you convert {N} {fp} into {tp} for me?"]
            prompts += [c.format(n=N) for c in ctx]
            add(param_fact("unit_conversion", f"{fp}-{tp}-{N}", f"converting {fp} to {tp}", prompts,
                           tm, dict(base, F=num(F), r=good_r), tm, dict(base, F=num(WF), r=wrong_r)))
    # dozens
    for n in [2, 3, 4, 5, 6, 10, 1.5, 2.5]:
        N = num(float(n))
        thing = rng.choice(["eggs", "donuts", "roses", "cupcakes", "bagels"])
        prompts = [f"How many {thing} are in {N} dozen?", f"If I buy {N} dozen {thing}, how many {thing} do I get?",
                   f"What is {N} dozen {thing} in total?", f"How many is {N} dozen {thing}?"]
        tm = ["A dozen is {F}, so {N} dozen is {N} × {F} = {r} {thing}.", "{N} dozen {thing} is {r} {thing}, since a dozen is {F}."]
        add(param_fact("unit_conversion", f"dozen-{N}", "counting in dozens", prompts,
                       tm, dict(N=N, F=12, r=num(float(n) * 12), thing=thing),
                       tm, dict(N=N, F=10, r=num(float(n) * 10), thing=thing)))

    # temperatures (wrong: the steps in the wrong order)
    for c in [-20, -10, -5, 0, 5, 10, 15, 20, 25, 30, 35, 40, 150, 160, 180, 190, 200, 220]:
        f = c * 9 // 5 + 32
        if rng.random() < 0.55:
            prompts = [f"What is {c} degrees Celsius in Fahrenheit?", f"Convert {c} °C to Fahrenheit.",
                       f"How many degrees Fahrenheit is {c} degrees Celsius?"]
            prompts.append(f"My recipe says to bake at {c} °C. What is that in Fahrenheit?" if c >= 150 else
                           f"It's {c} °C outside. What's that in Fahrenheit?")
            tg = ["Multiply by 9/5 and then add 32: {c} × 9/5 + 32 = {r}, so {c} °C is {r} °F.",
                  "{c} °C is {r} °F, because {c} × 9/5 + 32 = {r}."]
            tw = ["Add 32 and then multiply by 9/5: ({c} + 32) × 9/5 = {r}, so {c} °C is {r} °F.",
                  "{c} °C is {r} °F, because ({c} + 32) × 9/5 = {r}."]
            add(param_fact("temperature", f"c2f-{c}", "converting Celsius to Fahrenheit", prompts,
                           tg, dict(c=c, r=f), tw, dict(c=c, r=num((c + 32) * 9 / 5))))
        else:
            prompts = [f"What is {f} degrees Fahrenheit in Celsius?", f"Convert {f} °F to Celsius.",
                       f"How many degrees Celsius is {f} °F?"]
            prompts.append(f"My oven only shows Celsius. What is {f} °F?" if c >= 150 else
                           f"The forecast says {f} °F. What's that in Celsius?")
            tg = ["Subtract 32 and then multiply by 5/9: ({f} − 32) × 5/9 = {r}, so {f} °F is {r} °C.",
                  "{f} °F is {r} °C, because ({f} − 32) × 5/9 = {r}."]
            tw = ["Multiply by 5/9 and then subtract 32: {f} × 5/9 − 32 = {r}, so {f} °F is {r} °C.",
                  "{f} °F is {r} °C, because {f} × 5/9 − 32 = {r}."]
            add(param_fact("temperature", f"f2c-{f}", "converting Fahrenheit to Celsius", prompts,
                           tg, dict(f=f, r=c), tw, dict(f=f, r=num(f * 5 / 9 - 32))))
    return facts


# ----------------------------------------------------------------------------------------------------
# Rejected answers that do not depend on the fact (kinds a, c, e); {topic} is the fact's topic phrase.

EVASIVE = [
    "That's tricky. It depends on how you look at it, and no single reply on {topic} fits all cases.",
    "It's hard to say for sure. There's a lot of information out there on {topic}, so look into it yourself.",
    "There isn't a simple answer when it comes to {topic}. A lot hinges on the details, so check a reliable source.",
    "Sources disagree regarding {topic}, and it can change with the context, so no definite reply is possible here.",
    "That's not as straightforward as it sounds. Questions like {topic} involve several factors, so the smart move is to do some research.",
    "Opinions about {topic} vary quite a lot. Asking an expert or checking a trusted website is the safest bet.",
    "It's difficult to give one clear response on {topic}. It could go one way or the other, so read more before deciding.",
    "Plenty of information about {topic} is available online. Searching for it should point you in the right direction.",
    "That's a matter of perspective. Some people would say one thing regarding {topic} and others would disagree entirely.",
    "It varies. There are many angles to consider on {topic}, so it's wiser not to rely on any single source.",
    "Questions like this one about {topic} are easy to get wrong, so double-check with someone who knows the subject well.",
    "There are arguments on both sides when it comes to {topic}. Compare a few sources first.",
    "Well, it's complicated, and it depends on lots of factors. Reading up on {topic} is the way to get the full picture.",
    "The full story of {topic} is more than a quick reply can cover, so the details are left to a good reference book.",
    "It isn't the same in every case. On questions like {topic}, go with whatever your own research suggests.",
    "That's a fair thing to ask, but a firm position on {topic} is hard to give. A specialist would be the one to ask.",
    "It's not an area with one clear answer. Plenty has been written on {topic}, and the experts don't always agree.",
    "The short version is that it depends. Every situation varies, so the details of {topic} should be checked with a professional.",
    "That varies from case to case. A good reference or a search on {topic} would give a better picture than a guess.",
    "Hmm, that's a big question. There's a lot of nuance to {topic}, and it's easy to oversimplify, so it may be better left open.",
]

RAMBLING = [
    "That question about {topic} reminds me of a trip years ago. The weather was lovely, the food was even better, and the people were wonderful.",
    "Questions like this come up at dinner parties all the time. People share their stories, and the conversation always wanders off in a dozen directions.",
    "Before we dive into {topic}, it's worth saying how much there is to learn in general. Every new subject leads to three more, and the list never ends.",
    "Ah, {topic}. The neighbors were discussing a similar topic last week while fixing a fence, and the talk drifted to gardening, old movies and coffee.",
    "Thinking about {topic} is fun, but a rainy afternoon with a good book is even better. The pile of unread novels on the nightstand keeps growing.",
    "This brings back memories of an old school library, with its creaky chairs and the smell of dusty paper. Libraries are wonderful places.",
    "There's so much history behind everyday questions. The small pleasures in life, like a quiet morning and a cup of tea, are what matter most.",
    "There are so many ways to learn. Some people like videos, some like books, and some just ask a friend. A long walk is good for thinking, too.",
    "Speaking of which, have you ever tried baking sourdough at home? It takes patience, but the smell of fresh bread makes up for it.",
    "That reminds me of a documentary about deep-sea creatures. Some of them glow in the dark, and others have teeth so big they can't close their mouths.",
    "Whenever questions like {topic} come up, it's a reminder of how much the world has changed in a few decades, with phones, the internet and everything else.",
    "A cousin once drove across three countries in a week just to try a famous bakery. Funny how this question brings that story back.",
    "The weekend was busy: the hallway got repainted, there was a new pasta recipe to try, and the garage is finally clean. Anyway, that's an interesting question.",
    "Puzzles and quizzes are great fun. A Sunday crossword with a cup of coffee is hard to beat, especially when it's raining outside.",
    "Long summer afternoons are perfect for wondering about {topic}, lying in the grass and watching the clouds drift by.",
    "Funny you should mention {topic}. An aunt spent an hour last holiday describing her tomato plants, her new phone and a podcast she loves.",
    "Here's a fun fact instead: {other} It's one of those facts that stays with you.",
    "Oh, that reminds me of my favorite piece of general knowledge. {other} Fascinating stuff.",
    "Let's talk about this instead. {other} People are always surprised by it.",
    "Random, but worth sharing: {other} Anyway, that popped into my head.",
    "Hmm, {topic}. Here's an unrelated tidbit instead: {other}",
    "That brings another topic up entirely. {other} Interesting, right?",
    "Quick detour first, with some trivia: {other}",
    "On another note: {other} That came up in a pub quiz last week, and nobody knew it.",
]

CURT = [
    "Seriously? You could look that up in two seconds.",
    "Not going to spell it out for you. Figure it out.",
    "This is common knowledge already. If you don't know it, that's on you.",
    "Do you really need help with {topic}? Come on.",
    "Wow, that's a pretty basic question. Pay more attention next time.",
    "Not worth the time, honestly. Try a search engine.",
    "Ask someone else; there's no time to explain {topic} right now.",
    "This is the kind of thing they teach kids. It should be obvious.",
    "If a question about {topic} is this hard for you, no reply is going to help much.",
    "That's a lazy question. Do a little work before asking.",
    "The same question on {topic} comes up a hundred times a day. Go find it somewhere else.",
    "Anyone should know this by now. Next question.",
    "Why would you even ask that?",
    "No time for questions like this. Work it out on your own.",
    "Come on, think for a minute. The answer is right in front of you.",
    "That's the easiest question of the day. Figure it out yourself.",
    "Really? This is basic stuff. Any textbook covers it.",
    "Is this a joke? A child could tell you.",
    "Look, this stuff on {topic} isn't hard. A little effort would go a long way.",
    "Try thinking before asking. It's hardly a difficult question.",
]

# Openers and closers: the chosen answers use OPENERS/CLOSERS; curt answers use CURT_OPENERS/CURT_CLOSERS
# (no "Happy to help."), and the other rejected kinds a distribution that makes the overall rejected
# frequency of every opener and closer equal to the chosen one.
OPENERS = {"": 40, "Sure.": 7, "Sure!": 4, "Good question.": 6, "Great question!": 4, "Of course.": 5,
           "Happy to help.": 4, "Okay,": 5, "Well,": 5, "So,": 4, "Honestly,": 4, "Right,": 4, "Ah,": 3,
           "Let's see.": 3, "Hi!": 2}
CURT_OPENERS = {"": 55, "Well,": 10, "Honestly,": 10, "Okay,": 8, "So,": 7, "Right,": 6, "Ah,": 4}
CLOSERS = {"": 52, "Hope that helps!": 8, "Hope this helps.": 6, "Let me know if you have any other questions.": 6,
           "Let me know if you'd like more detail.": 5, "Happy to explain more if you need it.": 4,
           "Good luck!": 5, "Feel free to ask if anything's unclear.": 4, "I hope that's useful.": 4, "Cheers!": 2}
CURT_CLOSERS = {"": 75, "Good luck!": 10, "Hope that helps!": 15}


def normalize(d):
    t = sum(d.values())
    return {k: v / t for k, v in d.items()}


def balanced(chosen, curt, p_curt):
    """The distribution D for the non-curt rejected kinds such that p_curt*curt + (1-p_curt)*D = chosen."""
    c, k = normalize(chosen), normalize(curt)
    out = {}
    for key in c:
        v = (c[key] - p_curt * k.get(key, 0.0)) / (1 - p_curt)
        assert v >= 0, key
        out[key] = v
    assert set(k) <= set(c)
    return out


def draw(rng, dist):
    keys = list(dist)
    return rng.choices(keys, weights=[dist[k] for k in keys])[0]


INTERJECTIONS = {"hmm", "ah", "oh", "wow", "seriously", "really", "ugh", "look", "come", "well", "honestly",
                 "okay", "so", "right", "hi", "sure", "is", "let's", "why", "do", "not", "no", "yes", "quick", "random",
                 "funny", "here's", "good", "great", "happy", "of", "speaking", "on", "let"}


def dress(rng, body, openers, closers):
    """Prefix an opener and append a closer. A comma opener ("Well,") lower-cases a common first word;
    an opener is dropped before an interjection, a reply that starts with the same word, a "No"
    ("Sure. No, ...") or a reply that talks about the question itself."""
    op, cl = draw(rng, openers), draw(rng, closers)
    text = body
    first = body.split(" ", 1)[0].strip(",.?!:").lower()
    starts = {m.lower() for m in re.findall(r"(?:^|[.!?] )([A-Za-z']+)", body)}
    if op and op.rstrip(",.!").lower() in starts:
        op = ""
    if op.endswith(",") and first in INTERJECTIONS:
        op = ""
    if "question" in op.lower() and "question" in body.lower():
        op = ""  # "Good question. Hmm, that's a big question."
    if op in ("Sure.", "Sure!", "Of course.", "Happy to help.") and body.lower().startswith(
            ("no", "not", "usually not", "never", "it's best not", "it can")):
        op = ""  # "Sure. No, ..." reads oddly
    if op:
        if op.endswith(","):
            low = lower_first(body)
            text = op + " " + (low if low is not None else body)
        else:
            text = op + " " + body
    if cl:
        text = text + " " + cl
    return tidy(text)


def tidy(s):
    s = re.sub(r"\s+", " ", s).strip()
    s = s.replace("..", ".").replace(".?", "?").replace(". .", ".")
    # a sentence that starts with a quoted word: 'grow' means ... -> 'Grow' means ...
    s = re.sub(r"(^|[.!?] )'([a-z])", lambda m: m.group(1) + "'" + m.group(2).upper(), s)
    return s


# ----------------------------------------------------------------------------------------------------
# Prompt phrasings: each base question can also be wrapped once.

Q_WRAPPERS = ["Quick question: {q}", "Hi! {q}", "Hey, {lq}", "Can I ask you something? {q}", "I've always wondered, {lq}",
              "{q} Thanks!", "{q} Thanks in advance.", "Could you help me with this? {q}", "I was wondering, {lq}",
              "Question for you: {q}", "Sorry if this is basic, but {lq}", "{q} I'd appreciate a clear answer.",
              "Do you happen to know? {q}", "Hello! {q}", "{q} I'd love a short explanation."]
I_WRAPPERS = ["Please {lq}", "Hi! {q}", "{q} Thanks!", "Could you help me out? {q}", "Quick favor: {lq}",
              "Hello! {q}", "{q} Thanks in advance."]


def prompt_variants(rng, fact):
    bases = list(dict.fromkeys(fact.prompts))
    rng.shuffle(bases)
    wrapped = []
    for q in bases:
        lq = lower_first(q)
        wrappers = Q_WRAPPERS if q.endswith("?") else I_WRAPPERS
        for w in wrappers:
            if "{lq}" in w and lq is None:
                continue
            if w == "Please {lq}" and not q.split()[0] in ("Tell", "Name", "Give", "Explain", "Convert", "Suggest",
                                                           "Find", "Scale"):
                continue
            wrapped.append(w.format(q=q, lq=lq))
    rng.shuffle(wrapped)
    return bases + wrapped


# ----------------------------------------------------------------------------------------------------
# Building the data set

def all_facts(rng):
    facts = []
    for t in TABLES:
        facts += t.facts()
    facts += parse_handwritten(HANDWRITTEN)
    facts += arithmetic_facts(random.Random(SEED + 1))
    fids = [f.fid for f in facts]
    assert len(fids) == len(set(fids)), "duplicate fact ids"
    return facts


def split_facts(rng, facts):
    """Entity-level split: per family, about TEST_FRACTION of its split keys go to test; a key already
    assigned by an earlier family (the same country in another family) keeps its side."""
    families = list(dict.fromkeys(f.family for f in facts))
    side = {}
    for fam in families:
        keys = list(dict.fromkeys(f.split_key for f in facts if f.family == fam))
        target = max(1, round(TEST_FRACTION * len(keys)))
        have = sum(1 for k in keys if side.get(k) == "test")
        free = [k for k in keys if k not in side]
        rng.shuffle(free)
        need = max(0, target - have)
        for i, k in enumerate(free):
            side[k] = "test" if i < need else "train"
    for f in facts:
        f.split = side[f.split_key]
    for fam in families:
        sides = {f.split for f in facts if f.family == fam}
        assert sides == {"train", "test"}, f"family {fam} is not on both sides: {sides}"
    return families


def allocate(rng, facts, counts, used):
    """Prompts for the files of one side: pass 0 (one prompt per fact, two for weight-2 facts) goes to
    the preference file, later passes are interleaved between the three files by quota."""
    variants = {f.fid: prompt_variants(rng, f) for f in facts}
    order = list(facts)
    rng.shuffle(order)
    total = sum(counts.values())
    files = {k: [] for k in counts}
    used_pos = {f.fid: 0 for f in facts}
    npass = 0
    assigned = 0
    while assigned < total:
        progress = False
        for f in order:
            for _ in range(f.weight):
                if assigned >= total or used_pos[f.fid] >= len(variants[f.fid]):
                    break
                p = variants[f.fid][used_pos[f.fid]]
                used_pos[f.fid] += 1
                if p in used:
                    continue
                used.add(p)
                progress = True
                if npass == 0 and len(files["preferences"]) < counts["preferences"]:
                    dest = "preferences"
                else:
                    # the file furthest behind its quota
                    dest = max(counts, key=lambda k: (counts[k] - len(files[k])) / counts[k])
                files[dest].append((f, p))
                assigned += 1
        npass += 1
        assert progress, "ran out of prompt variants"
    for k in files:
        assert len(files[k]) == counts[k], (k, len(files[k]))
        rng.shuffle(files[k])
    return files


class Writer:
    def __init__(self, rng, facts, p_curt):
        self.rng = rng
        self.train_pool = collections.defaultdict(list)
        for f in facts:
            if f.split == "train":
                self.train_pool[f.family].append(f)
        self.by_split = collections.defaultdict(list)
        for f in facts:
            self.by_split[f.split].append(f)
        self.op_c, self.cl_c = normalize(OPENERS), normalize(CLOSERS)
        self.op_k, self.cl_k = normalize(CURT_OPENERS), normalize(CURT_CLOSERS)
        self.op_o, self.cl_o = balanced(OPENERS, CURT_OPENERS, p_curt), balanced(CLOSERS, CURT_CLOSERS, p_curt)

    def good(self, fact):
        return dress(self.rng, fact.good(self.rng), self.op_c, self.cl_c)

    def rejected(self, fact, kind):
        rng = self.rng
        topic = fact.topic
        if kind == "evasive":
            body = rng.choice(EVASIVE).format(topic=topic)
        elif kind == "rambling":
            tmpl = rng.choice(RAMBLING)
            other = ""
            if "{other}" in tmpl:
                # an unrelated fact (another family, short), as an off-topic digression
                while True:
                    o = rng.choice(self.by_split[fact.split])
                    if o.family != fact.family and o.split_key != fact.split_key and o.row is not None:
                        other = re.sub(r"^'([a-z])", lambda m: "'" + m.group(1).upper(),
                                       o.good(rng, standalone=True))
                        if nwords(other) <= 22:
                            break
            body = tmpl.format(topic=topic, other=other)
        elif kind == "curt":
            body = rng.choice(CURT).format(topic=topic)
            return dress(rng, body, self.op_k, self.cl_k)
        elif kind == "wrong":
            pool = [g for g in self.train_pool[fact.family] if g.split_key != fact.split_key]
            body = fact.wrong(rng, pool)
        elif kind == "mismatched":
            while True:
                other = rng.choice(self.by_split[fact.split])
                if other.family != fact.family and other.split_key != fact.split_key:
                    break
            body = other.good(rng)
        else:
            raise ValueError(kind)
        return dress(rng, body, self.op_o, self.cl_o)


def nwords(s):
    return len(s.split())


CANDIDATES = 12


class Balancer:
    """Picks, for each pair, one of CANDIDATES renderings (same fact, same rejected kind; different
    templates, notes, openers and closers) so that no word drifts to one side: it keeps, for every word,
    the number of pairs where only the chosen answer has it close to the number where only the rejected
    one has it, and keeps the longer answer chosen about half of the time."""

    def __init__(self, length_weight=1.0):
        self.d = collections.Counter()
        self.longer = 0
        self.length_weight = length_weight

    def cost(self, c, r):
        cw, rw = set(words(c)), set(words(r))
        cost = sum(self.d[x] for x in cw - rw) - sum(self.d[x] for x in rw - cw)
        s = (nwords(c) > nwords(r)) - (nwords(c) < nwords(r))
        return cost + self.length_weight * self.longer * s

    def pick(self, cands):
        i = min(range(len(cands)), key=lambda i: (self.cost(*cands[i]), i))
        c, r = cands[i]
        cw, rw = set(words(c)), set(words(r))
        for x in cw - rw:
            self.d[x] += 1
        for x in rw - cw:
            self.d[x] -= 1
        self.longer += (nwords(c) > nwords(r)) - (nwords(c) < nwords(r))
        return c, r


def build(seed=SEED):
    rng = random.Random(seed)
    facts = all_facts(rng)
    families = split_facts(rng, facts)
    sides = {side: [f for f in facts if f.split == side] for side in ("train", "test")}
    used = set()
    alloc = {side: allocate(rng, sides[side], COUNTS[side], used) for side in ("train", "test")}
    out, kinds = {}, collections.Counter()
    pair_kinds = []
    for side in ("train", "test"):
        weights = KIND_WEIGHTS[side]
        w = Writer(rng, facts, weights["curt"])
        rows = []
        bal = Balancer()
        n = len(alloc[side]["preferences"])
        plan = [k for k in KINDS for _ in range(round(weights[k] * n))]
        assert len(plan) == n, (side, len(plan), n)
        rng.shuffle(plan)  # each kind on exactly its share of the pairs, in random order
        for (fact, prompt), kind in zip(alloc[side]["preferences"], plan):
            cands = []
            for attempt in range(CANDIDATES):
                chosen, rejected = w.good(fact), w.rejected(fact, kind)
                if chosen != rejected and nwords(prompt) + max(nwords(chosen), nwords(rejected)) <= MAX_WORDS:
                    cands.append((chosen, rejected))
            assert cands, f"cannot fit {prompt!r} under {MAX_WORDS} words"
            chosen, rejected = bal.pick(cands)
            rows.append({"prompt": prompt, "chosen": chosen, "rejected": rejected})
            kinds[(side, kind)] += 1
            pair_kinds.append((side, kind, fact.family))
        out[("preferences", side)] = rows
        rows = []
        for fact, prompt in alloc[side]["sft"]:
            for attempt in range(50):
                completion = w.good(fact)
                if nwords(prompt) + nwords(completion) <= MAX_WORDS:
                    break
            else:
                raise AssertionError(prompt)
            rows.append({"prompt": prompt, "completion": completion})
        out[("sft", side)] = rows
        out[("prompts", side)] = [{"prompt": p} for _, p in alloc[side]["prompts"]]
    check_split(facts, families, alloc, out)
    for side in ("train", "test"):
        out[("qa", side)] = qa_rows([f for f in facts if f.split == side])
    return out, dict(facts=facts, families=families, kinds=kinds, alloc=alloc, pair_kinds=pair_kinds)


def check_split(facts, families, alloc, out):
    # no prompt twice anywhere (within a file or across files)
    seen = {}
    for (folder, side), rows in out.items():
        for r in rows:
            p = r["prompt"]
            assert p not in seen, f"prompt used twice: {p!r} in {folder}/{side} and {seen[p]}"
            seen[p] = f"{folder}/{side}"
            for k, v in r.items():
                assert v == v.strip() and v, (folder, side, r)
    # every fact used on one side only, and train and test entities disjoint
    train_keys = {f.split_key for side_files in [alloc["train"]] for rows in side_files.values() for f, _ in rows}
    test_keys = {f.split_key for side_files in [alloc["test"]] for rows in side_files.values() for f, _ in rows}
    assert not train_keys & test_keys, train_keys & test_keys
    # every family on both sides, in the preference files themselves
    for side in ("train", "test"):
        fams = {f.family for f, _ in alloc[side]["preferences"]}
        assert fams == set(families), (side, set(families) - fams)


# ----------------------------------------------------------------------------------------------------
# Reports

def leakage(rows, min_cover=0.02):
    """For each word, the rule 'the answer containing it (and not the other) is chosen' (or rejected,
    whichever is better) over the pairs where exactly one answer contains it. Words in fewer than
    min_cover of the pairs are ignored. gain = coverage * (accuracy - 0.5): how much the rule lifts
    overall accuracy above a coin flip; decided = coverage * |2*acc - 1|: the net fraction of pairs it
    gets right beyond chance."""
    n = len(rows)
    appear, excl, ch = collections.Counter(), collections.Counter(), collections.Counter()
    for r in rows:
        c, j = set(words(r["chosen"])), set(words(r["rejected"]))
        for wd in c | j:
            appear[wd] += 1
        for wd in c ^ j:
            excl[wd] += 1
            if wd in c:
                ch[wd] += 1
    stats = []
    for wd, a in appear.items():
        if a < min_cover * n or excl[wd] == 0:
            continue
        acc = ch[wd] / excl[wd]
        cov = excl[wd] / n
        best = max(acc, 1 - acc)
        stats.append(dict(word=wd, coverage=cov, acc=acc, gain=cov * (best - 0.5), decided=cov * abs(2 * acc - 1),
                          side="chosen" if acc >= 0.5 else "rejected"))
    stats.sort(key=lambda s: -s["gain"])
    return stats


def length_baseline(rows, unit="words"):
    right = 0.0
    for r in rows:
        a, b = (nwords(r["chosen"]), nwords(r["rejected"])) if unit == "words" else (len(r["chosen"]), len(r["rejected"]))
        right += 1.0 if a > b else 0.5 if a == b else 0.0
    return right / len(rows)


def report(out, info):
    print("files:")
    for (folder, side), rows in sorted(out.items()):
        print(f"  {folder}/{side}.jsonl: {len(rows)}")
    facts = info["facts"]
    ntrain = sum(1 for f in facts if f.split == "train")
    print(f"facts: {len(facts)} ({ntrain} train, {len(facts) - ntrain} test) in {len(info['families'])} families")
    print("rejected kinds:", {k: v for k, v in sorted(info["kinds"].items())})
    for side in ("train", "test"):
        rows = out[("preferences", side)]
        st = leakage(rows)
        top = st[0]
        print(f"preferences/{side}: longer-answer-is-chosen baseline {length_baseline(rows):.3f} (words), "
              f"{length_baseline(rows, 'chars'):.3f} (characters)")
        print(f"  best single word: {top['word']!r} -> {top['side']} on {top['coverage']:.1%} of pairs, "
              f"accuracy {max(top['acc'], 1 - top['acc']):.3f}, gain {top['gain']:.2%} over chance, "
              f"decides {top['decided']:.2%} of pairs")
        print("  top words: " + ", ".join(f"{s['word']}({s['side'][0]} cov {s['coverage']:.1%} acc "
                                         f"{max(s['acc'], 1 - s['acc']):.2f} gain {s['gain']:.2%})" for s in st[:12]))
        cw = [nwords(r["prompt"]) + max(nwords(r["chosen"]), nwords(r["rejected"])) for r in rows]
        print(f"  words in prompt + longer answer: max {max(cw)}, mean {sum(cw) / len(cw):.1f}")
        chosen_w = sum(nwords(r["chosen"]) for r in rows) / len(rows)
        rej_w = sum(nwords(r["rejected"]) for r in rows) / len(rows)
        print(f"  mean words: chosen {chosen_w:.1f}, rejected {rej_w:.1f}")


# ----------------------------------------------------------------------------------------------------

FILES = [(folder, side) for folder in ("preferences", "sft", "prompts", "qa") for side in ("train", "test")]

# Verifiable questions (examples/qa, for GRPO and RLOO with the exact_answer reward): the families whose facts
# have one short correct answer. For a table family it is the row field below (the currency without its
# article; a language only where the country has one); for a unit conversion it is the converted amount (`r`,
# which every answer template states; some end on the factor instead); for a word problem or temperature it is
# the last number of the correct answer, kept only when every one of its answer templates ends on that number.
# Left out: landmarks (a place phrase), antonyms and synonyms (several right words), hand-written questions.
QA_FIELDS = {"capital": "cap", "currency": "cur", "language": "langs", "continent": "cont", "element_symbol": "S",
             "symbol_element": "e", "planet_order": "P", "baby_animal": "b", "animal_class": "cl", "history_year": "year",
             "discovery": "who", "author": "A", "past_tense": "p", "plural": "pl", "acronym": "x"}
QA_PHRASINGS = 2  # distinct phrasings of each question (so that the test side has more than 200 prompts)
NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def qa_answer(f):
    """The short answer of a fact, or None when it has none (see QA_FIELDS)."""
    if f.family in QA_FIELDS:
        v = f.row[QA_FIELDS[f.family]]
        if isinstance(v, list):
            return v[0] if len(v) == 1 else None
        v = str(v)
        return v[4:] if v.startswith("the ") else v
    if f.domain != "arithmetic":
        return None
    if f.family == "unit_conversion":
        return str(f.params["r"])
    finals = {NUMBER.findall(f.good(random.Random(k)))[-1] for k in range(16)}
    return finals.pop() if len(finals) == 1 else None


def qa_rows(facts):
    """One row per phrasing of each fact with a short answer: prompt, answer, family (a separate generator, so
    that the other files do not change)."""
    rng = random.Random(SEED + 7)
    rows = []
    for f in facts:
        answer = qa_answer(f)
        if answer is None:
            continue
        phrasings = list(dict.fromkeys(f.prompts))
        for p in rng.sample(phrasings, min(QA_PHRASINGS, len(phrasings))):
            rows.append({"prompt": p, "answer": answer, "family": f.family})
    return rows


def write(out, root):
    for folder, side in FILES:
        d = os.path.join(root, folder)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, side + ".jsonl"), "w", encoding="utf-8", newline="\n") as fh:
            for row in out[(folder, side)]:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "examples"), help="output folder (default: examples/)")
    ap.add_argument("--check", action="store_true", help="regenerate into a temp dir and compare with --out")
    ap.add_argument("--quiet", action="store_true", help="do not print the report")
    args = ap.parse_args()
    out, info = build()
    if not args.quiet:
        report(out, info)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            write(out, tmp)
            bad = []
            for folder, side in FILES:
                rel = os.path.join(folder, side + ".jsonl")
                mine, theirs = os.path.join(tmp, rel), os.path.join(args.out, rel)
                if not os.path.exists(theirs) or not filecmp.cmp(mine, theirs, shallow=False):
                    bad.append(rel)
            if bad:
                print("error: these files differ from what the generator writes: " + ", ".join(bad), file=sys.stderr)
                sys.exit(1)
            print("examples are up to date")
        return
    write(out, args.out)
    print(f"wrote {len(FILES)} files under {args.out}")


if __name__ == "__main__":
    main()
