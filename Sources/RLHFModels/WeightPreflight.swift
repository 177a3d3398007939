// A config checked against the tensors of its checkpoint, by name and shape only, before the model is
// built: the layer count must be the number of layers the file holds, and the embedding, first-layer and
// head tensors must have the shapes the config's sizes give them. Once these agree, the model holds about
// as many numbers as the file, so a config that says `num_hidden_layers: 1000` over a 6-layer file, or a
// vocabulary of 10⁹, is an error naming the key instead of gigabytes of weights drawn at random first.
// (`loadParameters` still checks every tensor afterwards.)

import RLHFTensor

/// Looks tensors up in a weight source the way `loadParameters` does (each key under its candidate names).
struct Preflight {
    let weights: WeightSource
    /// Our key → the names it may have in the file, in order.
    let candidates: (String) -> [String]
    /// The config's source and key names, for messages.
    let fields: FieldCheck

    /// The file's name for our `key`, when present.
    func name(_ key: String) -> String? {
        candidates(key).first { weights.shape(of: $0) != nil }
    }

    /// The tensor `key` must be present with the shape `dims`, each dimension given by config fields (HF
    /// names with their values; a product such as heads × head size lists both). A mismatch names the
    /// fields of the dimensions that differ.
    func expect(_ key: String, _ dims: [(size: Int, fields: [(String, Int)])]) throws {
        guard let n = name(key), let actual = weights.shape(of: n) else {
            throw ModelError.weightsMismatch(source: weights.sourceDescription, missing: [key], unexpected: [], wrongShape: [])
        }
        let shape = dims.map(\.size)
        guard actual != shape else { return }
        var blamed: [(String, Int)] = []
        for (i, d) in dims.enumerated() where actual.count != dims.count || actual[i] != d.size {
            for f in d.fields where !blamed.contains(where: { $0.0 == f.0 }) { blamed.append(f) }
        }
        let given = blamed.map { "\(fields.key($0.0)) \($0.1)" }.joined(separator: " and ")
        throw ModelError.invalidConfig(
            source: fields.source, key: fields.key(blamed[0].0),
            reason: "\(given) give\(blamed.count == 1 ? "s" : "") \(n) the shape \(shape), "
                + "but \(weights.sourceDescription) holds \(actual)")
    }

    /// The file must hold exactly layers 0..<count, layer i present when `probe(i)` is.
    func layers(_ count: Int, key: String, probe: (Int) -> String) throws {
        func present(_ i: Int) -> Bool { name(probe(i)) != nil }
        var held = 0
        while held <= count && present(held) { held += 1 }
        if held == count { return }
        if held > count { while held < weights.tensorNames.count && present(held) { held += 1 } }   // to say how many
        throw fields.error(
            key,
            "is \(count), but \(weights.sourceDescription) holds \(held) layer\(held == 1 ? "" : "s") ("
                + (held < count ? "\(probe(held)) is missing)" : "\(probe(count)) is there too)"))
    }
}

extension BertConfig {
    /// Checks the layer count and the embedding and first-layer shapes against `weights` (looked up under
    /// `candidates`, as the loader does), allocating nothing.
    func preflight(_ weights: WeightSource, candidates: @escaping (String) -> [String], fields: FieldCheck) throws {
        let p = Preflight(weights: weights, candidates: candidates, fields: fields)
        let h = (size: hiddenSize, fields: [("hidden_size", hiddenSize)])
        try p.expect("embeddings.word_embeddings.weight", [(vocabSize, [("vocab_size", vocabSize)]), h])
        try p.expect(
            "embeddings.position_embeddings.weight",
            [(maxPositionEmbeddings, [("max_position_embeddings", maxPositionEmbeddings)]), h])
        if let t = typeVocabSize, t > 0 {
            try p.expect("embeddings.token_type_embeddings.weight", [(t, [("type_vocab_size", t)]), h])
        }
        try p.layers(numHiddenLayers, key: "num_hidden_layers") { "encoder.layer.\($0).attention.self.query.weight" }
        try p.expect("encoder.layer.0.attention.self.query.weight", [h, h])
        try p.expect("encoder.layer.0.intermediate.dense.weight", [(intermediateSize, [("intermediate_size", intermediateSize)]), h])
    }
}

extension LlamaConfig {
    /// Checks the layer count and the embedding, first-layer and head shapes against `weights`,
    /// allocating nothing.
    func preflight(_ weights: WeightSource, fields: FieldCheck) throws {
        let p = Preflight(weights: weights, candidates: { [$0] }, fields: fields)
        let h = (size: hiddenSize, fields: [("hidden_size", hiddenSize)])
        let v = (size: vocabSize, fields: [("vocab_size", vocabSize)])
        let hs: (String, Int) = headDim.map { ("head_dim", $0) } ?? ("hidden_size", hiddenSize)
        try p.expect("model.embed_tokens.weight", [v, h])
        try p.layers(numHiddenLayers, key: "num_hidden_layers") { "model.layers.\($0).self_attn.q_proj.weight" }
        try p.expect(
            "model.layers.0.self_attn.q_proj.weight",
            [(numAttentionHeads * headSize, [("num_attention_heads", numAttentionHeads), hs]), h])
        try p.expect(
            "model.layers.0.self_attn.k_proj.weight",
            [(kvHeads * headSize, [("num_key_value_heads", kvHeads), hs]), h])
        try p.expect("model.layers.0.mlp.gate_proj.weight", [(intermediateSize, [("intermediate_size", intermediateSize)]), h])
        if !tied { try p.expect("lm_head.weight", [v, h]) }
    }
}

extension GPT2Config {
    /// Checks the layer count and the embedding and first-block shapes against `weights` (looked up under
    /// `candidates`), allocating nothing.
    func preflight(_ weights: WeightSource, candidates: @escaping (String) -> [String], source: String) throws {
        let p = Preflight(weights: weights, candidates: candidates, fields: FieldCheck(source: source))
        let c = (size: nEmbd, fields: [("n_embd", nEmbd)])
        try p.expect("transformer.wte.weight", [(vocabSize, [("vocab_size", vocabSize)]), c])
        try p.expect("transformer.wpe.weight", [(nPositions, [("n_positions", nPositions)]), c])
        try p.layers(nLayer, key: "n_layer") { "transformer.h.\($0).attn.c_attn.weight" }
        try p.expect("transformer.h.0.attn.c_attn.weight", [c, (3 * nEmbd, [("n_embd", nEmbd)])])
        let inner = nInner.map { (size: $0, fields: [("n_inner", $0)]) } ?? (size: 4 * nEmbd, fields: [("n_embd", nEmbd)])
        try p.expect("transformer.h.0.mlp.c_fc.weight", [c, inner])
    }
}
