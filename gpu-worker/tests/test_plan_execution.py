"""Real plans run by the handler with real ffmpeg, inputs and uploads over local HTTP."""

import base64
import gzip
import struct
import zlib

import pytest

from autodark_gpu.errors import JobError
from autodark_gpu.executor import execute_plan
from autodark_gpu.lifecycle import Children
from conftest import call_handler, ffprobe

X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "30"]
SUBTITLES = "1\n00:00:00,000 --> 00:00:01,500\nOlá mundo\n"


def slideshow_plan(server, max_parallel: int = 2) -> dict:
    """image -> 2 s clip and tone -> AAC in parallel, then mux; a thumbnail from the clip."""
    return {
        "version": 1,
        "operation": "test-slideshow",
        "inputs": [
            {"id": "img0", "url": server.url("/in/image.png"), "kind": "image",
             "label": "images[0].image_url"},
            {"id": "music", "url": server.url("/in/tone.wav"), "kind": "audio", "label": "audio_url"},
        ],
        "files": [{"name": "caption.srt", "content": SUBTITLES}],
        "steps": [
            {"id": "clip", "durationSeconds": 2, "weight": 3, "argv": [
                "-loop", "1", "-i", "{in:img0}", "-t", "2", "-r", "24",
                "-vf", "scale=320:240,subtitles={file:caption.srt},format=yuv420p",
                "{venc}", "{tmp:clip.mp4}"]},
            {"id": "sound", "durationSeconds": 2, "argv": [
                "-i", "{in:music}", "-t", "2", "-c:a", "aac", "-b:a", "96k", "{tmp:sound.m4a}"]},
            {"id": "mux", "dependsOn": ["clip", "sound"], "argv": [
                "-i", "{tmp:clip.mp4}", "-i", "{tmp:sound.m4a}", "-c", "copy", "-shortest",
                "{out:video}"]},
            {"id": "thumb", "dependsOn": ["clip"], "argv": [
                "-i", "{tmp:clip.mp4}", "-frames:v", "1", "{out:thumb}"]},
        ],
        "outputs": [
            {"id": "video", "key": "jobs/t1/video.mp4", "contentType": "video/mp4",
             "upload": {"url": server.url("/put/video.mp4?X-Amz-Signature=secret"),
                        "headers": {"x-amz-meta-job": "t1"}}},
            {"id": "thumb", "key": "jobs/t1/thumb.jpg", "contentType": "image/jpeg",
             "upload": {"url": server.url("/put/thumb.jpg")}},
        ],
        "encoders": {"libx264": X264, "h264_nvenc": ["-c:v", "h264_nvenc", "-preset", "p4"]},
        "maxParallelSteps": max_parallel,
    }


@pytest.fixture
def served(server, media):
    server.files["/in/image.png"] = media["image"].read_bytes()
    server.files["/in/tone.wav"] = media["tone"].read_bytes()
    return server


def run_job(plan: dict) -> dict:
    return call_handler({"kind": "plan", "plan": plan})


def test_plan_runs_steps_as_a_dag_and_uploads_outputs(served, work_root, tmp_path):
    progress: list[dict] = []
    result = execute_plan(slideshow_plan(served), progress.append, Children())

    assert result["encoder"] == "libx264"
    assert [o["id"] for o in result["outputs"]] == ["video", "thumb"]
    video_body, video_headers = served.uploads["/put/video.mp4"]
    thumb_body, thumb_headers = served.uploads["/put/thumb.jpg"]
    assert result["outputs"][0] == {"id": "video", "key": "jobs/t1/video.mp4", "bytes": len(video_body)}
    assert result["outputs"][1]["bytes"] == len(thumb_body)
    assert video_headers["content-type"] == "video/mp4"
    assert video_headers["x-amz-meta-job"] == "t1"
    assert thumb_headers["content-type"] == "image/jpeg"

    (tmp_path / "video.mp4").write_bytes(video_body)
    info = ffprobe(tmp_path / "video.mp4")
    codecs = {s["codec_type"]: s for s in info["streams"]}
    assert codecs["video"]["codec_name"] == "h264"
    assert (codecs["video"]["width"], codecs["video"]["height"]) == (320, 240)
    assert codecs["audio"]["codec_name"] == "aac"
    assert float(info["format"]["duration"]) == pytest.approx(2.0, abs=0.15)
    (tmp_path / "thumb.jpg").write_bytes(thumb_body)
    assert ffprobe(tmp_path / "thumb.jpg")["streams"][0]["codec_name"] == "mjpeg"

    steps = result["timings"]["steps"]
    assert steps["sound"]["startMs"] < steps["clip"]["endMs"], "independent steps overlap"
    assert steps["clip"]["startMs"] < steps["sound"]["endMs"]
    assert steps["mux"]["startMs"] >= max(steps["clip"]["endMs"], steps["sound"]["endMs"])
    assert steps["thumb"]["startMs"] >= steps["clip"]["endMs"]

    percents = [p["percent"] for p in progress]
    assert percents == sorted(percents)
    assert progress[-1] == {"stage": "uploading", "percent": 100}
    assert [p["stage"] for p in progress][0] == "downloading"
    assert "processing" in {p["stage"] for p in progress}
    assert list(work_root.iterdir()) == [], "the work dir is removed after success"


def test_max_parallel_steps_one_runs_steps_one_at_a_time(served, work_root):
    result = run_job(slideshow_plan(served, max_parallel=1))
    spans = sorted((s["startMs"], s["endMs"]) for s in result["timings"]["steps"].values())
    for (_, end), (next_start, _) in zip(spans, spans[1:], strict=False):
        assert next_start >= end


def test_failing_step_names_the_step_its_inputs_and_ffmpeg_stderr(served, work_root):
    plan = slideshow_plan(served)
    plan["steps"][0]["argv"][plan["steps"][0]["argv"].index("-vf") + 1] = "nosuchfilter=1"
    result = run_job(plan)
    error = result["error"]
    assert error.startswith('step "clip" (input images[0].image_url) failed: ffmpeg exited with code')
    assert "No such filter: 'nosuchfilter'" in error
    assert served.uploads == {}, "nothing is uploaded when a step fails"
    assert list(work_root.iterdir()) == [], "the work dir is removed after failure"


@pytest.mark.parametrize("url_path", ["/in/image.png", "/in/image"])
def test_input_that_is_not_an_image_names_the_input(served, work_root, url_path):
    served.files[url_path] = b"this is not a picture"
    plan = slideshow_plan(served)
    plan["inputs"][0]["url"] = served.url(url_path)
    result = run_job(plan)
    assert result["error"].startswith('input "images[0].image_url" is not a')
    assert list(work_root.iterdir()) == []


def test_stalled_step_is_stopped_and_named(served, work_root, monkeypatch):
    monkeypatch.setenv("FFMPEG_STALL_TIMEOUT_S", "2")
    plan = slideshow_plan(served)
    # -re paces input in real time: one frame per 100 s means no output for 100 s
    plan["steps"][1]["argv"] = ["-re", "-f", "lavfi", "-i", "color=r=0.01", "-t", "200",
                                "{tmp:sound.m4a}"]
    result = run_job(plan)
    assert result["error"].startswith('step "sound" failed: ffmpeg made no progress for 2 s')
    assert '"clip"' not in result["error"]
    assert list(work_root.iterdir()) == []


def test_oversized_image_is_refused_before_decoding(served, work_root):
    served.files["/in/image.png"] = png_header_only(12000, 9000)
    result = run_job(slideshow_plan(served))
    assert result["error"] == (
        'input "images[0].image_url": picture is 12000x9000, over the 100-megapixel limit'
    )


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a huge picture but carries almost no data (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b""))


def test_audio_input_without_audio_names_the_input(served, work_root, media):
    served.files["/in/tone.wav"] = media["image"].read_bytes()
    result = run_job(slideshow_plan(served))
    assert result["error"] == (
        'input "audio_url" is not a valid audio: it has no audio stream (found: video)'
    )


def test_missing_input_names_the_input_and_the_status(served, work_root):
    del served.files["/in/tone.wav"]
    result = run_job(slideshow_plan(served))
    assert result["error"].startswith('input "audio_url": download failed: HTTP 404')


def test_input_server_errors_are_retried(served, work_root):
    served.failures["/in/image.png"] = [503]
    result = run_job(slideshow_plan(served))
    assert "error" not in result, result
    assert len(result["outputs"]) == 2


def test_input_over_the_size_limit_is_refused(served, work_root, monkeypatch):
    monkeypatch.setenv("MAX_INPUT_BYTES", "1000")
    result = run_job(slideshow_plan(served))
    assert "over the 1000-byte limit" in result["error"]
    assert result["error"].startswith('input "')


def test_upload_failure_names_the_output_without_leaking_the_signature(served, work_root):
    served.failures["/put/video.mp4"] = [403]
    result = run_job(slideshow_plan(served))
    assert result["error"].startswith('output "video": upload failed: HTTP 403')
    assert "secret" not in result["error"]
    assert list(work_root.iterdir()) == []


def subtitle_copy_plan(server, file: dict) -> dict:
    return {
        "version": 1, "operation": "test-files", "inputs": [], "files": [file],
        "steps": [{"id": "copy", "argv": ["-i", "{file:caption.srt}", "{out:subs}"]}],
        "outputs": [{"id": "subs", "key": "jobs/t2/subs.srt", "contentType": "text/plain",
                     "upload": {"url": server.url("/put/subs.srt")}}],
    }


def test_gzip_base64_plan_files_are_written_decoded(server, work_root):
    packed = base64.b64encode(gzip.compress(SUBTITLES.encode("utf-8"))).decode("ascii")
    file = {"name": "caption.srt", "content": packed, "encoding": "gzip-base64"}
    execute_plan(subtitle_copy_plan(server, file), lambda _: None, Children())
    body, _ = server.uploads["/put/subs.srt"]
    assert "Olá mundo" in body.decode("utf-8")
    assert "00:00:01,500" in body.decode("utf-8")


def test_a_plan_file_that_is_not_gzip_base64_is_refused_naming_it(server, work_root):
    file = {"name": "caption.srt", "content": "bm90IGd6aXA=", "encoding": "gzip-base64"}
    with pytest.raises(JobError, match='file "caption.srt" is not valid gzip-base64'):
        execute_plan(subtitle_copy_plan(server, file), lambda _: None, Children())
    assert "/put/subs.srt" not in server.uploads
    assert list(work_root.iterdir()) == []
