"""Make the sample datasets in resources/datasets/ (no downloads; the same bytes on every run).

    python -m studio.devtools.make_sample           # write them
    python -m studio.devtools.make_sample --check   # exit 1 if the files differ from what this makes

sample-stories.txt: about 1.5 MB of small English-like documents (short stories, recipes, dialogues,
rhymes, weather reports, letters) separated by blank lines. The vocabulary is small and the templates
are regular, so a tiny GPT (a few hundred thousand parameters, character-level) visibly learns words,
punctuation and the shape of each kind of document within minutes on a CPU.

sample-qa.jsonl: about 3,000 prompt/response pairs (sums, opposites, animal sounds, colours, spelling)
for trying supervised fine-tuning with loss masks.

bench/datasets.py uses `stories()` to generate a corpus of any size.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path

from studio.core.resources import resource_path

STORIES_FILE = "sample-stories.txt"
QA_FILE = "sample-qa.jsonl"
STORIES_BYTES = 1_500_000
QA_PAIRS = 3000
SEED = 20261128

NAMES = ["Anna", "Ben", "Clara", "David", "Emma", "Finn", "Grace", "Hugo", "Ivy", "Jack", "Lena", "Max",
         "Nora", "Oscar", "Rosa", "Sam", "Tom", "Zoe"]
PRONOUN = {n: ("she" if n in {"Anna", "Clara", "Emma", "Grace", "Ivy", "Lena", "Nora", "Rosa", "Zoe"} else "he")
           for n in NAMES}
NUMBERS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
           "twelve"]
FRUITS = ["apple", "pear", "plum", "peach", "cherry", "lemon", "orange", "banana"]
COLOURS = ["red", "green", "yellow", "blue", "brown", "white", "black", "little", "big"]
PLACES = ["market", "park", "river", "garden", "school", "library", "beach", "forest", "farm", "bakery"]
ANIMALS = {"cat": "meow", "dog": "woof", "cow": "moo", "duck": "quack", "sheep": "baa", "pig": "oink",
           "owl": "hoot", "horse": "neigh", "frog": "ribbit", "bee": "buzz"}
FEELINGS = ["happy", "tired", "hungry", "fine", "very well", "a little sad", "excited", "sleepy"]
TIMES = ["morning", "afternoon", "evening"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
SKIES = ["sunny", "cloudy", "rainy", "windy", "foggy", "snowy", "clear"]
DISHES = {
    "pancakes": ["flour", "milk", "eggs", "sugar", "butter"],
    "soup": ["carrots", "onions", "potatoes", "water", "salt"],
    "bread": ["flour", "water", "yeast", "salt", "oil"],
    "salad": ["tomatoes", "lettuce", "cucumbers", "oil", "lemon juice"],
    "cake": ["flour", "sugar", "eggs", "butter", "milk"],
    "tea": ["water", "tea leaves", "honey", "lemon", "milk"],
}
VERBS = ["mix", "stir", "cut", "wash", "warm", "pour", "whisk", "chop"]
OPPOSITES = {"hot": "cold", "big": "small", "up": "down", "day": "night", "fast": "slow", "happy": "sad",
             "old": "new", "open": "closed", "light": "dark", "early": "late", "full": "empty", "wet": "dry"}
THINGS = ["hat", "ball", "kite", "book", "cup", "boat", "drum", "bell", "box", "shoe"]


def _plural(word: str, n: int) -> str:
    if n == 1:
        return word
    if word.endswith("y") and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "es" if word.endswith(("ch", "sh", "s", "x")) else word + "s"


def _story(r: random.Random) -> str:
    a, b = r.sample(NAMES, 2)
    fruit = r.choice(FRUITS)
    n = r.randint(2, 12)
    m = r.randint(1, n - 1)
    colour = r.choice(COLOURS)
    place = r.choice(PLACES)
    he = PRONOUN[a]
    return (
        f"{a} went to the {place}. {he.capitalize()} had {NUMBERS[n]} {colour} {_plural(fruit, n)}. "
        f"{he.capitalize()} gave {NUMBERS[m]} {_plural(fruit, m)} to {b}. "
        f"Now {a} has {NUMBERS[n - m]} {_plural(fruit, n - m)} and {b} has {NUMBERS[m]}. "
        f"{b} said, \"Thank you, {a}!\" and they walked home together."
    )


def _recipe(r: random.Random) -> str:
    dish, ingredients = r.choice(list(DISHES.items()))
    first, second, third = r.sample(ingredients, 3)
    cups, spoons, minutes = r.randint(1, 4), r.randint(1, 6), r.choice([5, 10, 15, 20, 30])
    v1, v2 = r.sample(VERBS, 2)
    return (
        f"How to make {dish}.\n"
        f"You need {NUMBERS[cups]} {_plural('cup', cups)} of {first}, {NUMBERS[spoons]} {_plural('spoon', spoons)} "
        f"of {second} and a little {third}.\n"
        f"First, {v1} the {first}. Then add the {second} and {v2} for {minutes} minutes.\n"
        f"At the end, add the {third}. Your {dish} {'are' if dish.endswith('s') else 'is'} ready."
    )


def _dialogue(r: random.Random) -> str:
    a, b = r.sample(NAMES, 2)
    f1, f2 = r.sample(FEELINGS, 2)
    place = r.choice(PLACES)
    return (
        f"{a}: Good {r.choice(TIMES)}, {b}. How are you?\n"
        f"{b}: I am {f1}, thank you. And you?\n"
        f"{a}: I am {f2}. Shall we go to the {place}?\n"
        f"{b}: Yes, let us go to the {place} {r.choice(['now', 'later', 'after lunch', 'tomorrow'])}."
    )


def _rhyme(r: random.Random) -> str:
    animal, sound = r.choice(list(ANIMALS.items()))
    thing = r.choice(THINGS)
    name = r.choice(NAMES)
    return (
        f"Little {animal}, little {animal},\n"
        f"what do you say?\n"
        f"\"{sound.capitalize()}, {sound}!\" says the {animal}\n"
        f"to {name} every day.\n"
        f"{name} has a {r.choice(COLOURS)} {thing},\n"
        f"and the {animal} likes to play."
    )


def _weather(r: random.Random) -> str:
    day = r.choice(DAYS)
    s1, s2 = r.sample(SKIES, 2)
    low = r.randint(-5, 20)
    high = low + r.randint(2, 12)
    return (
        f"Weather for {day}. In the morning it will be {s1}, and in the afternoon it will be {s2}. "
        f"The lowest temperature will be {low} degrees and the highest {high} degrees."
    )


def _letter(r: random.Random) -> str:
    a, b = r.sample(NAMES, 2)
    place = r.choice(PLACES)
    animal = r.choice(list(ANIMALS))
    return (
        f"Dear {b},\n"
        f"today I went to the {place} and I saw a {animal}. It was {r.choice(['funny', 'small', 'brave', 'kind'])}. "
        f"I hope you are {r.choice(FEELINGS)}.\n"
        f"Love, {a}"
    )


KINDS = (_story, _recipe, _dialogue, _rhyme, _weather, _letter)


def stories(size_bytes: int, seed: int = SEED) -> Iterator[str]:
    """Documents until about `size_bytes` of UTF-8 (blank lines between them included)."""
    r = random.Random(seed)
    made = 0
    while made < size_bytes:
        doc = r.choice(KINDS)(r)
        made += len(doc) + 2
        yield doc


def qa_pairs(count: int, seed: int = SEED) -> Iterator[dict[str, str]]:
    r = random.Random(seed + 1)
    for _ in range(count):
        kind = r.randrange(5)
        if kind == 0:
            a, b = r.randint(0, 20), r.randint(0, 20)
            yield {"prompt": f"What is {a} plus {b}?", "response": f"{a} plus {b} is {a + b}."}
        elif kind == 1:
            word, opposite = r.choice(list(OPPOSITES.items()))
            yield {"prompt": f"What is the opposite of {word}?", "response": f"The opposite of {word} is {opposite}."}
        elif kind == 2:
            animal, sound = r.choice(list(ANIMALS.items()))
            yield {"prompt": f"What does a {animal} say?", "response": f"A {animal} says {sound}."}
        elif kind == 3:
            fruit = r.choice(FRUITS)
            colour = {"apple": "red", "pear": "green", "plum": "purple", "peach": "orange", "cherry": "red",
                      "lemon": "yellow", "orange": "orange", "banana": "yellow"}[fruit]
            yield {"prompt": f"What colour is a {fruit}?", "response": f"A {fruit} is usually {colour}."}
        else:
            word = r.choice(THINGS + list(ANIMALS))
            yield {"prompt": f"Spell the word {word}.", "response": "-".join(word.upper()) + "."}


def stories_text(size_bytes: int = STORIES_BYTES, seed: int = SEED) -> str:
    return "\n\n".join(stories(size_bytes, seed)) + "\n"


def qa_text(count: int = QA_PAIRS, seed: int = SEED) -> str:
    return "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in qa_pairs(count, seed))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    folder = resource_path("datasets")
    wanted = {STORIES_FILE: stories_text(), QA_FILE: qa_text()}
    stale = []
    for name, text in wanted.items():
        path = Path(folder) / name
        data = text.encode("utf-8")
        if args.check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(name)
        else:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            print(f"wrote {path} ({len(data):,} bytes)")
    if stale:
        print("out of date: " + ", ".join(stale) + " (run python -m studio.devtools.make_sample)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
