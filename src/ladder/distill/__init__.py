"""Distillation and fine-tuning: turn the best pipeline into a small local student.

    teacher.py     a Model or rung pipeline labels inputs (filtered, with provenance,
                   resumable, ``jobs`` at once); kept vs raw accuracy against gold
    synth.py       synthetic inputs the teacher writes from a few seeds (deduplicated,
                   never overlapping dev/test, diversity measured)
    sft.py         chat SFT rows: a short instruction + the raw input -> the answer
    train.py       the training recipe, setup -> fit -> validate, read top to bottom; its parts:
      config.py      TrainConfig, the base resolved through the models registry
      model.py       the base loaded trainable, PEFT wrapping, the answer-only loss
      encode.py      chat rows -> token ids + labels, collate, length-grouped batches
      checkpoint.py  atomic checkpoint (exact --resume) and adapter saves
      pretrain.py    continued pretraining on raw text, held-out perplexity
    export.py      GGUF LoRA, merged weights, merged GGUF, Ollama Modelfile, registration
    student.py     the `student` / `student-gold` rungs
    report.py      the savings report (teacher vs student)
    recipe.py      `ladder distill` end to end
"""

from .config import TrainConfig
from .export import export_student, lora_to_gguf, write_modelfile
from .pretrain import perplexity
from .recipe import DistillResult, distill
from .sft import build_sft, student_instruction, student_messages
from .student import Student, register_student_rungs
from .synth import synthesize
from .teacher import label, label_accuracy, read_labels
from .train import TrainResult, train

register_student_rungs()

__all__ = ["distill", "DistillResult", "label", "label_accuracy", "read_labels", "synthesize", "build_sft", "student_instruction",
           "student_messages", "train", "TrainConfig", "TrainResult", "perplexity", "export_student",
           "lora_to_gguf", "write_modelfile", "Student", "register_student_rungs"]
