"""Transcription jobs. faster-whisper's real loading and decoding code runs on a tiny
random-weight model built at test time (its words are gibberish: structure and timing
are what these tests check). The accuracy test needs a real model: WHISPER_MODEL_DIR."""

import importlib.util
import json
import os
import re
import time
import unicodedata
from pathlib import Path

import pytest

from autodark_gpu import transcribe
from autodark_gpu.lifecycle import Children
from conftest import SPEECH_TEXT, call_handler, ffprobe, run_ffmpeg
from make_tiny_model import make_tiny_model

# Not a benchmark: a random model that loops in decoding would otherwise hang the suite.
TINY_MODEL_BOUND_S = 120


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("models")
    make_tiny_model(root / "faster-whisper" / "tiny-random")
    return root


@pytest.fixture(scope="session")
def long_speech(media, tmp_path_factory) -> Path:
    """The speech four times over: over 30 s, so decoding crosses Whisper's window."""
    out = tmp_path_factory.mktemp("long") / "long.wav"
    speech = str(media["speech"])
    run_ffmpeg("-i", speech, "-i", speech, "-i", speech, "-i", speech,
               "-filter_complex", "concat=n=4:v=0:a=1", str(out))
    return out


@pytest.fixture
def served_speech(server, media, long_speech, model_dir, monkeypatch):
    monkeypatch.setenv("MODEL_DIR", str(model_dir))
    server.files["/audio/speech.wav"] = media["speech"].read_bytes()
    server.files["/audio/long.wav"] = long_speech.read_bytes()
    server.files["/audio/picture.png"] = media["image"].read_bytes()
    return server


def request(server, path="/audio/speech.wav", **overrides) -> dict:
    return {
        "kind": "transcribe",
        "engine": "faster-whisper",
        "audio_url": server.url(path),
        "model": "tiny-random",
        "language": None,
        "enable_vad": False,
        "beam_size": 5,
        "temperature": 0,
        **overrides,
    }


def duration_of(path: Path) -> float:
    return float(ffprobe(path)["format"]["duration"])


def assert_transcript_shape(result: dict, audio_seconds: float) -> None:
    assert set(result) == {"language", "language_probability", "duration", "segments",
                           "model", "device", "engine"}
    assert result["engine"] == "faster-whisper"
    assert result["model"] == "tiny-random"
    assert result["device"] == "cpu"
    assert re.fullmatch(r"[a-z]{2,3}", result["language"])
    assert 0 <= result["language_probability"] <= 1
    assert result["duration"] == pytest.approx(audio_seconds, abs=0.05)
    assert result["segments"], "the tiny model is built to emit segments"

    previous_word_start = 0.0
    previous_segment_start = 0.0
    for segment in result["segments"]:
        assert set(segment) == {"start", "end", "text", "words"}
        assert isinstance(segment["text"], str)
        assert previous_segment_start <= segment["start"] <= segment["end"] <= audio_seconds + 0.05
        previous_segment_start = segment["start"]
        for word in segment["words"]:
            assert set(word) == {"word", "start", "end", "probability"}
            assert word["word"].strip()
            # faster-whisper may stretch a segment's last word past the segment's end
            assert segment["start"] - 0.01 <= word["start"] <= segment["end"] + 0.01
            assert word["start"] <= word["end"] <= audio_seconds + 0.05
            assert word["start"] >= previous_word_start
            previous_word_start = word["start"]
            assert 0 <= word["probability"] <= 1
    assert any(segment["words"] for segment in result["segments"])


def test_transcribes_over_30_seconds_with_word_timestamps(served_speech, work_root, long_speech):
    started = time.monotonic()
    result = call_handler(request(served_speech, "/audio/long.wav"))
    assert time.monotonic() - started < TINY_MODEL_BOUND_S
    assert "error" not in result, result
    assert_transcript_shape(result, duration_of(long_speech))
    assert result["segments"][-1]["end"] > 30, "decoding went past the first 30 s window"
    assert list(work_root.iterdir()) == [], "the downloaded audio is removed"


def test_transcribes_with_vad_and_a_given_language(served_speech, work_root, media):
    started = time.monotonic()
    result = call_handler(request(served_speech, language="pt", enable_vad=True, beam_size=0))
    assert time.monotonic() - started < TINY_MODEL_BOUND_S
    assert "error" not in result, result
    assert_transcript_shape(result, duration_of(media["speech"]))
    assert result["language"] == "pt"
    assert result["language_probability"] == 1


def test_transcription_reports_progress(served_speech, work_root):
    updates: list[dict] = []
    transcribe.transcribe_job(request(served_speech), updates.append, Children())
    assert updates[0] == {"stage": "downloading", "percent": 0}
    assert updates[-1] == {"stage": "transcribing", "percent": 100}
    percents = [u["percent"] for u in updates]
    assert percents == sorted(percents)


def test_model_is_loaded_once_per_process(served_speech, work_root):
    first, _ = transcribe._faster_whisper_model("tiny-random")
    call_handler(request(served_speech))
    again, _ = transcribe._faster_whisper_model("tiny-random")
    assert first is again


def test_large_result_is_uploaded_instead_of_returned(served_speech, work_root, monkeypatch):
    monkeypatch.setenv("TRANSCRIPT_INLINE_MAX_BYTES", "100")
    upload = {"url": served_speech.url("/put/transcript.json?sig=x"), "headers": {"x-job": "7"}}
    result = call_handler(request(served_speech, upload=upload))
    body, headers = served_speech.uploads["/put/transcript.json"]
    stored = json.loads(body)
    assert result == {"stored": True, "bytes": len(body),
                      **{k: v for k, v in stored.items() if k != "segments"}}
    assert stored["segments"]
    assert headers["content-type"] == "application/json"
    assert headers["x-job"] == "7"


def test_fallback_temperatures_follow_the_seed():
    assert transcribe.fallback_temperatures(0) == (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    assert transcribe.fallback_temperatures(0.5) == (0.5, 0.7, 0.9)
    assert transcribe.fallback_temperatures(1) == (1.0,)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"engine": "whisperx"}, "input.engine: must be one of faster-whisper, openai-whisper"),
        ({"audio_url": "ftp://example.com/a.wav"}, "input.audio_url: must be an http(s) URL"),
        ({"model": "../../etc"}, "input.model: must be a model name"),
        ({"language": "portuguese"}, "input.language: must be null (auto-detect) or a language code"),
        ({"enable_vad": "yes"}, "input.enable_vad: must be true or false"),
        ({"beam_size": 50}, "input.beam_size: must be an integer from 0 to 20"),
        ({"temperature": 2}, "input.temperature: must be a number from 0 to 1"),
        ({"upload": {"url": "nope"}}, "input.upload.url: must be an http(s) URL"),
    ],
)
def test_invalid_request_names_the_field(served_speech, work_root, overrides, message):
    result = call_handler(request(served_speech, **overrides))
    assert result["error"].startswith(message)
    assert list(work_root.iterdir()) == []


def test_audio_that_is_not_audio_names_the_input(served_speech, work_root):
    result = call_handler(request(served_speech, "/audio/picture.png"))
    assert result == {"error": 'input "audio_url" is not a valid audio: it has no audio stream '
                               "(found: video)"}
    assert list(work_root.iterdir()) == []


def test_unknown_model_fails_naming_the_model(served_speech, work_root, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # no hub here: fail at once instead of retrying
    result = call_handler(request(served_speech, model="no-such-model"))
    assert result["error"].startswith("input.model: cannot load faster-whisper model 'no-such-model'")


def _words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.findall(r"[a-z]+", plain)


@pytest.mark.skipif(not os.environ.get("WHISPER_MODEL_DIR"),
                    reason="set WHISPER_MODEL_DIR to a CTranslate2 Whisper model dir "
                           "(e.g. faster-whisper-small) to check accuracy; none can be "
                           "downloaded here")
def test_real_model_transcribes_portuguese_speech(server, media, work_root, monkeypatch):
    model_path = Path(os.environ["WHISPER_MODEL_DIR"]).resolve()
    monkeypatch.setenv("MODEL_DIR", str(model_path.parent))
    server.files["/audio/speech.wav"] = media["speech"].read_bytes()
    result = call_handler(request(server, model=model_path.name, enable_vad=True))
    assert "error" not in result, result
    assert result["language"] == "pt"
    heard = set(_words(" ".join(s["text"] for s in result["segments"])))
    expected = _words(SPEECH_TEXT)
    recognized = [w for w in expected if w in heard]
    assert len(recognized) >= 0.7 * len(expected), (recognized, expected)


@pytest.mark.skipif(
    importlib.util.find_spec("whisper") is None or not os.environ.get("OPENAI_WHISPER_MODEL_DIR"),
    reason="openai-whisper (torch) is only installed in the Docker image "
           "(requirements-whisper.txt); set OPENAI_WHISPER_MODEL_DIR to a dir with <model>.pt",
)
def test_openai_whisper_engine_transcribes_portuguese(server, media, work_root, monkeypatch):
    root = Path(os.environ["OPENAI_WHISPER_MODEL_DIR"]).resolve()
    monkeypatch.setenv("MODEL_DIR", str(root.parent))
    model = next(root.glob("*.pt")).stem
    server.files["/audio/speech.wav"] = media["speech"].read_bytes()
    result = call_handler(request(server, engine="openai-whisper", model=model))
    assert "error" not in result, result
    assert result["engine"] == "openai-whisper"
    assert result["language"] == "pt"
    assert any(segment["words"] for segment in result["segments"])
