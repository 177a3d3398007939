// Chat templates: recognition from the template text and rendering equal to transformers' apply_chat_template.
import XCTest
@testable import RLHFTokenizers

final class ChatTemplateTests: XCTestCase {
    func testSmolLM2TemplateRendersLikeTransformers() throws {
        let set = try Fixtures.goldens().chat.smollm2
        let template = try ChatTemplate(template: set.template)
        XCTAssertEqual(
            template.kind,
            .chatML(defaultSystemPrompt: "You are a helpful AI assistant named SmolLM, trained by Hugging Face"))
        XCTAssertFalse(set.cases.isEmpty)
        for c in set.cases {
            XCTAssertEqual(
                try template.render(c.messages, addGenerationPrompt: c.addGenerationPrompt), c.text,
                "messages \(c.messages.map(\.role)), add_generation_prompt \(c.addGenerationPrompt)")
        }
    }

    func testLlama3TemplateRendersLikeTransformers() throws {
        let set = try Fixtures.goldens().chat.llama3
        let template = try ChatTemplate(template: set.template, bosToken: set.bosToken)
        XCTAssertEqual(template.kind, .llama3)
        for c in set.cases {
            XCTAssertEqual(
                try template.render(c.messages, addGenerationPrompt: c.addGenerationPrompt), c.text,
                "messages \(c.messages.map(\.role)), add_generation_prompt \(c.addGenerationPrompt)")
        }
        XCTAssertEqual(try ChatTemplate(template: set.template).bosToken, "<|begin_of_text|>")
    }

    func testSystemMessageBehaviour() throws {
        let template = try ChatTemplate(template: try Fixtures.goldens().chat.smollm2.template)
        let withSystem = try template.render(
            [ChatMessage(role: "system", content: "S"), ChatMessage(role: "user", content: "U")],
            addGenerationPrompt: false)
        XCTAssertEqual(withSystem, "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n")
        let without = try template.render([ChatMessage(role: "user", content: "U")], addGenerationPrompt: true)
        XCTAssertEqual(
            without,
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
                + "<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n")
    }

    func testPlainChatMLAndSpellingVariantsAreRecognised() throws {
        let plain =
            "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
            + "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
        XCTAssertEqual(try ChatTemplate(template: plain).kind, .chatML(defaultSystemPrompt: nil))
        // Attribute access, double quotes, whitespace and line breaks inside tags, trim_blocks newlines.
        let variant = """
            {% for message in messages %}
            {{ "<|im_start|>" + message.role + "\\n" + message.content + "<|im_end|>" + "\\n" }}
            {%- endfor %}
            {% if add_generation_prompt %}{{ "<|im_start|>assistant\\n" }}{% endif %}
            """
        XCTAssertEqual(try ChatTemplate(template: variant).kind, .chatML(defaultSystemPrompt: nil))
        let rendered = try ChatTemplate(template: plain).render([ChatMessage(role: "user", content: "x")], addGenerationPrompt: false)
        XCTAssertEqual(rendered, "<|im_start|>user\nx<|im_end|>\n")
    }

    func testUnrecognisedTemplatesAreErrors() {
        assertTokenizerError(["not recognised", "ChatML"]) {
            _ = try ChatTemplate(template: "{% for message in messages %}{{ message['content'] }}{% endfor %}")
        }
        assertTokenizerError(["not recognised"]) {
            _ = try ChatTemplate(template: "{{ bos_token }}{% for m in messages %}[INST] {{ m.content }} [/INST]{% endfor %}")
        }
        assertTokenizerError(["not recognised", "unterminated"]) { _ = try ChatTemplate(template: "{{ 'abc ") }
        assertTokenizerError(["empty conversation"]) {
            _ = try ChatTemplate(template: try Fixtures.goldens().chat.llama3.template).render([], addGenerationPrompt: true)
        }
    }

    func testChatMessageIsCodable() throws {
        let data = try JSONEncoder().encode([ChatMessage(role: "user", content: "hi")])
        XCTAssertEqual(try JSONDecoder().decode([ChatMessage].self, from: data), [ChatMessage(role: "user", content: "hi")])
    }
}
