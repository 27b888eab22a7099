"""Quality of benchmark P2 between two groups of vector files (word2vec text
format, read by gensim: this also checks that gensim reads our files): the mean
cosine similarities king-queen, god-lord, water-waters in each group, and the mean
overlap of the top-10 neighbours of 20 frequent words within each group (runs with
different seeds: the noise floor) and across the groups.
usage: compare.py A1.txt [A2.txt ...] -- B1.txt [B2.txt ...]"""
import sys
from itertools import combinations
from gensim.models import KeyedVectors

WORDS = ["god", "lord", "king", "israel", "people", "son", "man", "house", "land", "children",
         "day", "hand", "men", "earth", "father", "city", "david", "jesus", "name", "heart"]
PAIRS = [("king", "queen"), ("god", "lord"), ("water", "waters")]
cut = sys.argv.index("--")
groups = {"A": sys.argv[1:cut], "B": sys.argv[cut + 1:]}

def neighbours(path):
    kv = KeyedVectors.load_word2vec_format(path, binary=False)
    return ([kv.similarity(a, b) for a, b in PAIRS],
            [{w for w, _ in kv.most_similar(x, topn=10)} for x in WORDS])

loaded = {g: [neighbours(p) for p in paths] for g, paths in groups.items()}
mean = lambda xs: sum(xs) / len(xs) if xs else float("nan")
overlap = lambda a, b: mean([len(x & y) for x, y in zip(a[1], b[1])])
for g, runs in loaded.items():
    sims = " ".join(f"{a}-{b} {mean([r[0][i] for r in runs]):.3f}" for i, (a, b) in enumerate(PAIRS))
    within = [overlap(a, b) for a, b in combinations(runs, 2)]
    print(f"{g} ({len(runs)} runs): {sims}; top-10 overlap within {mean(within):.2f}/10 ({len(within)} pairs)")
across = [overlap(a, b) for a in loaded["A"] for b in loaded["B"]]
print(f"A vs B: top-10 overlap {mean(across):.2f}/10 ({len(across)} pairs)")
