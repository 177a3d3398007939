"""What the LoRA peers (bench/peer/dpo.py, bench/peer/grpo.py) share: SmolLM2-135M-Instruct from its GGUF
as transformers dequantises it (float32), PEFT LoRA r = 16, alpha 32, no dropout on the seven projections,
and the checks that the model and its adapters are what the benches say."""
import os

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SMOL_DIR = os.path.join(ROOT, "models", "smollm2")
SMOL_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
LORA_R, LORA_ALPHA = 16, 32
LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def lora_config():
    from peft import LoraConfig
    return LoraConfig(r=LORA_R, lora_alpha=LORA_ALPHA, lora_dropout=0.0, target_modules=LORA_TARGETS,
                      bias="none", task_type="CAUSAL_LM")


def load_model():
    import warnings
    import torch
    from transformers import AutoModelForCausalLM
    # PeftModel's constructor reads model.is_gradient_checkpointing, which transformers 5 deprecates (renamed
    # is_activation_checkpointing) with a FutureWarning on stderr; it is False here (asserted) either way.
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*is deprecated", category=FutureWarning)
    model = AutoModelForCausalLM.from_pretrained(SMOL_DIR, gguf_file=SMOL_GGUF, dtype=torch.float32)
    model.train()
    return model


def check_model(hf_model):
    """fp32 parameters, no activation checkpointing, no dropout (on the transformers model itself)."""
    import torch
    on = (hf_model.is_activation_checkpointing if hasattr(type(hf_model), "is_activation_checkpointing")
          else hf_model.is_gradient_checkpointing)
    assert not on, "activation checkpointing is on"
    assert all(p.dtype == torch.float32 for p in hf_model.parameters()), "parameters are not all float32"
    assert float(getattr(hf_model.config, "attention_dropout", 0.0) or 0.0) == 0.0
    assert not any(isinstance(m, torch.nn.Dropout) and m.p > 0 for m in hf_model.modules()), "dropout > 0"


def lora_count(hf_model):
    """Adapter parameters expected for LORA_TARGETS at rank LORA_R: r * (in + out) per adapted Linear."""
    import torch
    n = 0
    for name, m in hf_model.named_modules():
        if isinstance(m, torch.nn.Linear) and name.rsplit(".", 1)[-1] in LORA_TARGETS:
            n += LORA_R * (m.in_features + m.out_features)
    return n


def check_adapters(peft_model, expected):
    """Only the LoRA weights are trainable, and there are `expected` of them; returns their (name, param)s."""
    named = [(n, p) for n, p in peft_model.named_parameters() if p.requires_grad]
    assert all(".lora_A." in n or ".lora_B." in n for n, _ in named), [n for n, _ in named][:5]
    assert sum(p.numel() for _, p in named) == expected, (sum(p.numel() for _, p in named), expected)
    return named
