"""Transcription jobs: faster-whisper (CTranslate2) or openai-whisper, with word timestamps.

Models load once per process and stay cached. They are looked up under $MODEL_DIR first
(baked into the image, so workers start offline): $MODEL_DIR/faster-whisper/<model> (a
CTranslate2 model dir) and $MODEL_DIR/openai-whisper/<model>.pt.
"""

import json
import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from . import transfer
from .errors import JobError
from .lifecycle import Children, active_job
from .plan import safe_extension
from .probe import check_input_kind
from .progress import Progress, Report

log = logging.getLogger("autodark.transcribe")

ENGINES = ("faster-whisper", "openai-whisper")
DEFAULT_MODEL = {"faster-whisper": "large-v3", "openai-whisper": "base"}
# a size name ("large-v3") or a Hugging Face id ("org/name"); never a path
MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")
LANGUAGE = re.compile(r"^[a-z]{2,3}$")
STAGES = {"downloading": (0, 5), "transcribing": (5, 100)}

# The seed's fixed decoding settings (API contract §4, "Transcription").
FIXED_SETTINGS = {
    "best_of": 5,
    "patience": 1,
    "compression_ratio_threshold": 2.4,
    "log_prob_threshold": -1.0,
    "no_speech_threshold": 0.6,
    "condition_on_previous_text": True,
    "task": "transcribe",
}
TEMPERATURE_INCREMENT_ON_FALLBACK = 0.2


def inline_limit_bytes() -> int:
    """Results larger than this are PUT to input.upload instead of returned inline."""
    return int(os.environ.get("TRANSCRIPT_INLINE_MAX_BYTES", "1000000"))


@dataclass(frozen=True)
class TranscribeRequest:
    engine: str
    audio_url: str
    model: str
    language: str | None
    enable_vad: bool
    beam_size: int
    temperature: float
    upload: dict | None


def _http_url(value, field: str) -> str:
    if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https") \
            or not urlsplit(value).hostname:
        raise JobError(f"{field}: must be an http(s) URL")
    return value


def parse_request(data: dict) -> TranscribeRequest:
    """Validates a transcribe job's input; errors name the field."""
    engine = data.get("engine")
    if engine not in ENGINES:
        raise JobError(f"input.engine: must be one of {', '.join(ENGINES)}")
    audio_url = _http_url(data.get("audio_url"), "input.audio_url")

    model = data.get("model") or DEFAULT_MODEL[engine]
    if not isinstance(model, str) or not MODEL_NAME.match(model) or ".." in model:
        raise JobError("input.model: must be a model name such as large-v3")

    language = data.get("language")
    if language is not None and (not isinstance(language, str) or not LANGUAGE.match(language)):
        raise JobError("input.language: must be null (auto-detect) or a language code such as pt")

    enable_vad = data.get("enable_vad", True)
    if not isinstance(enable_vad, bool):
        raise JobError("input.enable_vad: must be true or false")

    beam_size = data.get("beam_size", 5)
    if isinstance(beam_size, bool) or not isinstance(beam_size, int) or not 0 <= beam_size <= 20:
        raise JobError("input.beam_size: must be an integer from 0 to 20")

    temperature = data.get("temperature", 0)
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) \
            or not 0 <= temperature <= 1:
        raise JobError("input.temperature: must be a number from 0 to 1")

    upload = data.get("upload")
    if upload is not None:
        if not isinstance(upload, dict):
            raise JobError("input.upload: must be an object with url and headers")
        _http_url(upload.get("url"), "input.upload.url")
        headers = upload.get("headers", {})
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise JobError("input.upload.headers: must map header names to strings")
        upload = {"url": upload["url"], "headers": headers}

    return TranscribeRequest(
        engine=engine, audio_url=audio_url, model=model, language=language,
        enable_vad=enable_vad, beam_size=beam_size or 5,  # the seed turns a 0 into 5
        temperature=float(temperature), upload=upload,
    )


def fallback_temperatures(start: float) -> tuple[float, ...]:
    """start, start + 0.2, ... up to 1.0: the temperatures tried when decoding fails."""
    steps = int((1.0 - start) / TEMPERATURE_INCREMENT_ON_FALLBACK + 1e-9)
    return tuple(round(start + i * TEMPERATURE_INCREMENT_ON_FALLBACK, 2) for i in range(steps + 1))


def _model_dir() -> Path | None:
    configured = os.environ.get("MODEL_DIR")
    return Path(configured) if configured else None


_models: dict[tuple[str, str], tuple[object, str]] = {}
_models_lock = threading.Lock()


def _cached_model(engine: str, name: str, load):
    with _models_lock:
        if (engine, name) not in _models:
            log.info("loading %s model %s", engine, name)
            try:
                _models[(engine, name)] = load()
            except JobError:
                raise
            except Exception as err:  # the loaders raise many kinds (hub, file, CUDA errors)
                raise JobError(f"input.model: cannot load {engine} model {name!r}: {err}") from None
        return _models[(engine, name)]


def _round(value: float, digits: int = 3) -> float:
    return round(float(value), digits)


# ---------------------------------------------------------------- faster-whisper


def _faster_whisper_model(name: str):
    def load():
        import ctranslate2
        from faster_whisper import WhisperModel

        # float16 on the GPU; int8 keeps CPU inference fast and small
        device, compute_type = (
            ("cuda", "float16") if ctranslate2.get_cuda_device_count() > 0 else ("cpu", "int8")
        )
        root = _model_dir()
        source = name
        for candidate in ([root / "faster-whisper" / name, root / name] if root else []):
            if (candidate / "model.bin").is_file():
                source = str(candidate)
                break
        download_root = str(root / "faster-whisper") if root else None
        return WhisperModel(source, device=device, compute_type=compute_type,
                            download_root=download_root), device

    return _cached_model("faster-whisper", name, load)


def _batch_size(device: str, enable_vad: bool) -> int:
    """Batched inference on the GPU; it needs VAD to cut audio over 30 s into chunks."""
    if device != "cuda" or not enable_vad:
        return 0
    return int(os.environ.get("WHISPER_BATCH_SIZE", "16"))


def _run_faster_whisper(req: TranscribeRequest, audio: Path, progress: Progress,
                        children: Children) -> dict:
    from faster_whisper import BatchedInferencePipeline

    model, device = _faster_whisper_model(req.model)
    options = {
        **FIXED_SETTINGS,
        "language": req.language,
        "beam_size": req.beam_size,
        "temperature": fallback_temperatures(req.temperature),
        "word_timestamps": True,
        "vad_filter": req.enable_vad,
    }
    batch_size = _batch_size(device, req.enable_vad)
    if batch_size > 0:
        segments, info = BatchedInferencePipeline(model).transcribe(
            str(audio), batch_size=batch_size, **options)
    else:
        segments, info = model.transcribe(str(audio), **options)

    result_segments = []
    for segment in segments:  # decoding happens while iterating
        children.raise_if_killed()
        result_segments.append({
            "start": _round(segment.start),
            "end": _round(segment.end),
            "text": segment.text,
            "words": [
                {"word": word.word, "start": _round(word.start), "end": _round(word.end),
                 "probability": _round(word.probability, 4)}
                for word in segment.words or []
            ],
        })
        if info.duration:
            progress.update("transcribing", segment.end / info.duration)
    return {
        "language": info.language,
        "language_probability": _round(info.language_probability, 4),
        "duration": _round(info.duration),
        "segments": result_segments,
        "model": req.model,
        "device": device,
        "engine": "faster-whisper",
    }


# ---------------------------------------------------------------- openai-whisper


def _run_openai_whisper(req: TranscribeRequest, audio: Path, progress: Progress,
                        children: Children) -> dict:
    try:
        import torch
        import whisper
    except ImportError:
        raise JobError("input.engine: openai-whisper is not installed in this worker image "
                       "(gpu-worker/requirements-whisper.txt)") from None

    def load():
        device = "cuda" if torch.cuda.is_available() else "cpu"
        root = _model_dir()
        download_root = str(root / "openai-whisper") if root else None
        return whisper.load_model(req.model, device=device, download_root=download_root), device

    model, device = _cached_model("openai-whisper", req.model, load)
    samples = whisper.load_audio(str(audio))
    # The seed's official-whisper worker passes only these settings.
    result = model.transcribe(
        samples, language=req.language, temperature=req.temperature,
        beam_size=req.beam_size, word_timestamps=True, fp16=device == "cuda",
    )
    children.raise_if_killed()  # openai-whisper cannot be interrupted; at least drop the result
    return {
        "language": result.get("language"),
        "language_probability": None,  # openai-whisper's transcribe does not report it
        "duration": _round(len(samples) / whisper.audio.SAMPLE_RATE),
        "segments": [
            {
                "start": _round(segment["start"]),
                "end": _round(segment["end"]),
                "text": segment["text"],
                "words": [
                    {"word": word["word"], "start": _round(word["start"]),
                     "end": _round(word["end"]), "probability": _round(word["probability"], 4)}
                    for word in segment.get("words", [])
                ],
            }
            for segment in result["segments"]
        ],
        "model": req.model,
        "device": device,
        "engine": "openai-whisper",
    }


# ---------------------------------------------------------------- job


def transcribe_job(data: dict, report: Report, children: Children) -> dict:
    req = parse_request(data)
    progress = Progress(report, STAGES)
    with active_job(children) as workdir:
        audio = workdir / ("audio" + safe_extension(urlsplit(req.audio_url).path))
        progress.update("downloading", 0)
        transfer.download(req.audio_url, audio, 'input "audio_url"')
        check_input_kind(audio, "audio", "audio_url")
        progress.update("transcribing", 0)
        run = _run_faster_whisper if req.engine == "faster-whisper" else _run_openai_whisper
        result = run(req, audio, progress, children)
        progress.update("transcribing", 1.0)

    body = json.dumps(result, ensure_ascii=False).encode("utf-8")
    log.info("transcribed %.1f s of audio with %s %s on %s: %d segments, %d bytes",
             result["duration"], req.engine, req.model, result["device"],
             len(result["segments"]), len(body))
    if len(body) > inline_limit_bytes() and req.upload:
        headers = {"Content-Type": "application/json", **req.upload["headers"]}
        transfer.upload(body, req.upload["url"], headers, "transcript")
        metadata = {key: value for key, value in result.items() if key != "segments"}
        return {"stored": True, "bytes": len(body), **metadata}
    return result
