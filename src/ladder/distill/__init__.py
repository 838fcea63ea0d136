"""Distillation and fine-tuning: turn the best pipeline into a small local student.

    teacher.py  a Model or rung pipeline labels inputs (filtered, with provenance, resumable)
    sft.py      chat SFT rows: a short instruction + the raw input -> the answer
    train.py    LoRA / DoRA / IA3 / full fine-tuning, checkpoints, --resume, early stopping;
                continued pretraining on raw text
    export.py   GGUF LoRA, merged weights, merged GGUF, Ollama Modelfile, registration
    student.py  the `student` / `student-gold` rungs
    report.py   the savings report (teacher vs student)
    recipe.py   `ladder distill` end to end
"""

from .export import export_student, lora_to_gguf, write_modelfile
from .recipe import DistillResult, distill
from .sft import build_sft, student_instruction, student_messages
from .student import Student, register_student_rungs
from .teacher import label, read_labels
from .train import TrainConfig, TrainResult, perplexity, train

register_student_rungs()

__all__ = ["distill", "DistillResult", "label", "read_labels", "build_sft", "student_instruction",
           "student_messages", "train", "TrainConfig", "TrainResult", "perplexity", "export_student",
           "lora_to_gguf", "write_modelfile", "Student", "register_student_rungs"]
