"""gensim 4 peer of benchmark P2: trains on CORPUS (one sentence a line) with the
same settings as ours and prints words/s over the corpus's tokens (vocabulary
building included, as ours). usage: gensim_w2v.py CORPUS THREADS [OUT [SG [SEED]]]"""
import sys, time
from gensim.models import Word2Vec

corpus, workers = sys.argv[1], int(sys.argv[2])
out = sys.argv[3] if len(sys.argv) > 3 else None
sg = int(sys.argv[4]) if len(sys.argv) > 4 else 1
seed = int(sys.argv[5]) if len(sys.argv) > 5 else 1
sentences = [line.split() for line in open(corpus, encoding="utf-8")]
tokens = sum(len(s) for s in sentences)
c0, t0 = time.process_time(), time.perf_counter()
m = Word2Vec(sentences, vector_size=100, window=5, negative=5, hs=0, min_count=5, epochs=1,
             sample=1e-3, alpha=0.025, min_alpha=0.025e-4, sg=sg, workers=workers, seed=seed)
seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
print(f"word2vec gensim: threads {workers}, {tokens} tokens, vocabulary {len(m.wv)}, "
      f"{seconds:.3f} s, {tokens / seconds:.0f} words/s, cpu {cpu:.3f} s, {tokens / cpu:.0f} words/cpu-s")
for a, b in [("king", "queen"), ("god", "lord"), ("water", "waters")]:
    print(f"word2vec gensim: similarity {a}-{b} {m.wv.similarity(a, b):.3f}")
if out:
    m.wv.save_word2vec_format(out, binary=False)
