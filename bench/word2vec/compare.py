"""Quality of benchmark P2: cosine similarities of three pairs and the overlap of
the top-10 neighbours of 20 frequent words between two vector files (word2vec
text format, read by gensim: this also checks that gensim reads our files).
usage: compare.py A.txt B.txt [LABEL]"""
import sys
from gensim.models import KeyedVectors

WORDS = ["god", "lord", "king", "israel", "people", "son", "man", "house", "land", "children",
         "day", "hand", "men", "earth", "father", "city", "david", "jesus", "name", "heart"]
a = KeyedVectors.load_word2vec_format(sys.argv[1], binary=False)
b = KeyedVectors.load_word2vec_format(sys.argv[2], binary=False)
label = sys.argv[3] if len(sys.argv) > 3 else f"{sys.argv[1]} vs {sys.argv[2]}"
pairs = " ".join(f"{x}-{y} {a.similarity(x, y):.3f}/{b.similarity(x, y):.3f}"
                 for x, y in [("king", "queen"), ("god", "lord"), ("water", "waters")])
overlaps = [len({w for w, _ in a.most_similar(x, topn=10)} & {w for w, _ in b.most_similar(x, topn=10)})
            for x in WORDS]
print(f"{label}: {pairs}; top-10 overlap {sum(overlaps) / len(overlaps):.2f}/10 (per word {overlaps})")
