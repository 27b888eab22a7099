// Dimensional reduction (lecture 5, MLPLearn/Manifold): PCA and exact t-SNE.
import MLPLang
import MLPTensor
import MLPLearn

enum ManifoldLib {
    static func register(_ r: inout Registry) {
        r.fn("pca", [p("x"), p("k", 2), Param("details", .bool(false), keywordOnly: true)],
             doc: "The data x [n, d] centred and projected on its k principal axes: a tensor [n, k]. With details=true a dict: projected, components [k, d], explained_variance, explained_variance_ratio, mean.",
             example: "p = pca(x, 2); scatter(p[:, 0], p[:, 1])") { a throws(MLPError) in
            let x = try a.tensor(0), k = try a.int(1)
            let r: PCAResult
            do { r = try pca(x, k: k, poll: a.interruptPoll) }
            catch let e as MLPError { throw e }
            catch { throw a.nativeError(error) }
            guard try a.bool(2) else { return .object(TensorValue(r.projected)) }
            let d = DictObj()
            d["projected"] = .object(TensorValue(r.projected))
            d["components"] = .object(TensorValue(r.components))
            d["explained_variance"] = .object(TensorValue(r.explainedVariance))
            d["explained_variance_ratio"] = .object(TensorValue(r.explainedVarianceRatio))
            d["mean"] = .object(TensorValue(r.mean))
            return .dict(d)
        }
        r.fn("tsne", [p("x"), Param("dim", .number(2), keywordOnly: true), Param("perplexity", .number(30), keywordOnly: true),
                      Param("iters", .number(1000), keywordOnly: true), Param("lr", DefaultValue.none, keywordOnly: true),
                      Param("details", .bool(false), keywordOnly: true), rngParam],
             doc: "Exact t-SNE (van der Maaten 2008, as scikit-learn's exact method) of x [n, d]: an embedding [n, dim]. Per-point Gaussian widths by bisection to the perplexity, early exaggeration 12 for 250 iterations, momentum 0.5 then 0.8, adaptive gains, learning rate max(n/48, 50) unless lr= is given (scikit-learn's \"auto\"); starts from the session's generator (or rng=). details=true gives a dict with embedding and kl (the final KL divergence).",
             example: "e = tsne(x, perplexity=20, iters=300); scatter(e[:, 0], e[:, 1])") { a throws(MLPError) in
            let x = try a.tensor(0), dim = try a.positive(1), perp = try a.number(2), iters = try a.int(3, atLeast: 0)
            // scikit-learn's learning_rate="auto": n / early exaggeration / 4, at least 50 (200 overshoots for small n)
            let lr = a.isNil(4) ? max(Double(x.shape.first ?? 0) / 12 / 4, 50) : try a.number(4)
            guard perp > 0 else { throw a.error("perplexity must be positive, got \(formatNumber(perp)).", at: 2) }
            let r: TSNEResult, g = try a.generator(6)
            do { r = try tsne(x, dim: dim, perplexity: perp, iterations: iters, learningRate: lr, generator: &g.state, check: a.interruptPoll) }
            catch let e as MLPError { throw e }
            catch { throw a.nativeError(error) }
            guard try a.bool(5) else { return .object(TensorValue(r.embedding)) }
            let d = DictObj()
            d["embedding"] = .object(TensorValue(r.embedding))
            d["kl"] = .number(r.kl)
            return .dict(d)
        }
    }
}
