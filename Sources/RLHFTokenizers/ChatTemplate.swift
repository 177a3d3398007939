// Chat templates: rather than a Jinja interpreter, the template text is recognised as one of the families we render
// by hand (ChatML as SmolLM2 writes it, with or without a default system message; Llama-3), by comparing its
// canonical Jinja tokens with the reference templates below. Anything else is an error that says where the text
// departs from the closest family. Rendering then reproduces what transformers' `apply_chat_template` (Jinja) gives.

/// One message of a conversation.
public struct ChatMessage: Codable, Sendable, Equatable {
    /// "system", "user", "assistant", or any other role the template accepts.
    public var role: String
    /// The message text.
    public var content: String

    /// A message with `role` and `content`.
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// A recognised chat template that renders conversations to prompt text.
public struct ChatTemplate: Sendable, Equatable {
    /// The template families this library renders.
    public enum Kind: Sendable, Equatable {
        /// `<|im_start|>role\ncontent<|im_end|>\n` per message. When `defaultSystemPrompt` is set (SmolLM2), a
        /// conversation whose first message is not a system message gets
        /// `<|im_start|>system\n<defaultSystemPrompt><|im_end|>\n` first.
        case chatML(defaultSystemPrompt: String?)
        /// `<|begin_of_text|>` then `<|start_header_id|>role<|end_header_id|>\n\n` + trimmed content + `<|eot_id|>`
        /// per message.
        case llama3
    }

    /// Which family the template is.
    public let kind: Kind
    /// The template text it was recognised from.
    public let template: String
    /// The `bos_token` the template refers to (Llama-3 writes it first); `<|begin_of_text|>` when not given.
    public let bosToken: String

    /// Recognises `template` (the Jinja text of `chat_template`).
    ///
    /// - Parameters:
    ///   - bosToken: the tokenizer's BOS token text, for templates that write `bos_token`.
    ///   - eosToken: the tokenizer's EOS token text (no recognised template uses it yet).
    /// - Throws: ``TokenizerError/unrecognisedChatTemplate(reason:)`` naming where the text departs from the
    ///   closest known template.
    public init(template: String, bosToken: String? = nil, eosToken: String? = nil) throws {
        self.template = template
        var tokens = try lexJinja(template)
        let prologue = try lexJinja(ChatTemplateReference.addGenerationPromptDefault)
        if tokens.starts(with: prologue) { tokens.removeFirst(prologue.count) }

        var closest: (name: String, index: Int, expected: JinjaToken?) = ("", -1, nil)
        for (name, reference) in ChatTemplateReference.families {
            let expected = try lexJinja(reference)
            switch Self.match(tokens, expected) {
            case let .matched(captured):
                switch name {
                case "ChatML (SmolLM2, default system message)":
                    let block = captured ?? ""
                    let head = "<|im_start|>system\n", tail = "<|im_end|>\n"
                    let scalars = Array(block.unicodeScalars)
                    guard scalars.starts(with: head.unicodeScalars),
                        Array(scalars.suffix(tail.unicodeScalars.count)) == Array(tail.unicodeScalars),
                        scalars.count >= head.unicodeScalars.count + tail.unicodeScalars.count
                    else {
                        throw TokenizerError.unrecognisedChatTemplate(
                            reason: "the default system block \(block.debugDescription) is not "
                                + "\"<|im_start|>system\\n…<|im_end|>\\n\"")
                    }
                    let body = scalars[head.unicodeScalars.count..<(scalars.count - tail.unicodeScalars.count)]
                    kind = .chatML(defaultSystemPrompt: String(String.UnicodeScalarView(body)))
                case "ChatML":
                    kind = .chatML(defaultSystemPrompt: nil)
                default:
                    kind = .llama3
                }
                self.bosToken = bosToken ?? "<|begin_of_text|>"
                return
            case let .mismatch(index):
                if index > closest.index { closest = (name, index, index < expected.count ? expected[index] : nil) }
            }
        }
        let found = closest.index < tokens.count ? "\(tokens[closest.index])" : "the end of the template"
        let wanted = closest.expected.map { "\($0)" } ?? "the end of the template"
        throw TokenizerError.unrecognisedChatTemplate(
            reason: "not ChatML or Llama-3: closest is \(closest.name), which it leaves at Jinja token "
                + "\(closest.index + 1): found \(found) where \(wanted) was expected")
    }

    private enum MatchResult {
        case matched(captured: String?)
        case mismatch(index: Int)
    }

    /// Compares token lists; the name `__SYSTEM__` in the reference matches any string literal and captures it.
    private static func match(_ tokens: [JinjaToken], _ reference: [JinjaToken]) -> MatchResult {
        var captured: String?
        for (i, expected) in reference.enumerated() {
            guard i < tokens.count else { return .mismatch(index: i) }
            if expected == .name("__SYSTEM__"), case let .string(value) = tokens[i] {
                captured = value
                continue
            }
            if tokens[i] != expected { return .mismatch(index: i) }
        }
        return tokens.count == reference.count ? .matched(captured: captured) : .mismatch(index: reference.count)
    }

    /// Renders a conversation as transformers' `apply_chat_template(messages, tokenize=False,
    /// add_generation_prompt=addGenerationPrompt)` does.
    ///
    /// - Throws: ``TokenizerError/chatTemplateRender(reason:)`` for an empty conversation (transformers refuses it too).
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool) throws -> String {
        guard !messages.isEmpty else {
            throw TokenizerError.chatTemplateRender(reason: "cannot render an empty conversation; give at least one message")
        }
        var out = ""
        switch kind {
        case let .chatML(defaultSystemPrompt):
            for (i, m) in messages.enumerated() {
                if i == 0, let prompt = defaultSystemPrompt, !messages[0].role.scalarsEqual("system") {
                    out += "<|im_start|>system\n" + prompt + "<|im_end|>\n"
                }
                out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>" + "\n"
            }
            if addGenerationPrompt { out += "<|im_start|>assistant\n" }
        case .llama3:
            for (i, m) in messages.enumerated() {
                var content =
                    "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n" + Self.pythonStrip(m.content)
                    + "<|eot_id|>"
                if i == 0 { content = bosToken + content }
                out += content
            }
            if addGenerationPrompt { out += "<|start_header_id|>assistant<|end_header_id|>\n\n" }
        }
        return out
    }

    /// Python's `str.strip()` (Jinja's `trim` filter).
    static func pythonStrip(_ s: String) -> String {
        let scalars = Array(s.unicodeScalars)
        var lo = 0, hi = scalars.count
        while lo < hi, UnicodeClass.isPythonSpace(scalars[lo]) { lo += 1 }
        while hi > lo, UnicodeClass.isPythonSpace(scalars[hi - 1]) { hi -= 1 }
        return String(String.UnicodeScalarView(scalars[lo..<hi]))
    }
}

/// The reference template texts recognised by ``ChatTemplate``.
enum ChatTemplateReference {
    /// A prologue some templates carry; it changes nothing when the caller passes add_generation_prompt.
    static let addGenerationPromptDefault =
        "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}"

    /// SmolLM2-Instruct's template (GGUF `tokenizer.chat_template`); `__SYSTEM__` stands for the default system block.
    static let smolLM2 = """
        {% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ __SYSTEM__ }}{% endif %}\
        {{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}\
        {% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}
        """

    /// Plain ChatML.
    static let chatML = """
        {% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}\
        {% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}
        """

    /// Meta-Llama-3-8B-Instruct's template.
    static let llama3 = """
        {% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + \
        message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}\
        {% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}\
        {{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}
        """

    static let families: [(String, String)] = [
        ("ChatML (SmolLM2, default system message)", smolLM2),
        ("ChatML", chatML),
        ("Llama-3", llama3)
    ]
}
