"""argv token expansion (media/plan.ts) and the encoder choice on this machine."""

import shutil
from pathlib import Path

import pytest

from autodark_gpu import encoder
from autodark_gpu.executor import encoder_threads, parallel_limit
from autodark_gpu.plan import Layout, PlanError, expand_argv, validate_plan

ENCODERS = {
    "libx264": ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23"],
    "h264_nvenc": ["-c:v", "h264_nvenc", "-preset", "p4", "-cq", "23"],
}


def plan_with(argv: list[str], encoders=None) -> dict:
    return validate_plan({
        "version": 1,
        "operation": "test",
        "inputs": [
            {"id": "img-1", "url": "https://cdn.example.com/a/photo.JPG?sig=x", "kind": "image",
             "label": "images[0].image_url"},
            {"id": "voice", "url": "https://cdn.example.com/download?id=7", "kind": "audio",
             "label": "audio_url"},
        ],
        "files": [{"name": "subs.ass", "content": "[Script Info]\n"}],
        "steps": [{"id": "s", "argv": argv}],
        "outputs": [{"id": "final", "key": "jobs/42/final video.mp4", "contentType": "video/mp4",
                     "upload": {"url": "https://bucket.example.com/final"}}],
        "encoders": ENCODERS if encoders is None else encoders,
    })


ROOT = Layout(Path("/work/job"))


def test_path_tokens_expand_to_the_job_layout():
    argv = ["-i", "{in:img-1}", "-i", "{in:voice}", "-vf", "ass={file:subs.ass}",
            "{tmp:part.mp4}", "{out:final}"]
    assert expand_argv(plan_with(argv), plan_with(argv)["steps"][0], ROOT, "libx264") == [
        "-i", "/work/job/in/img-1.JPG",  # the URL's extension is kept, its query is not
        "-i", "/work/job/in/voice",  # no extension in the URL path: none invented
        "-vf", "ass=/work/job/files/subs.ass",  # tokens inside an item expand in place
        "/work/job/tmp/part.mp4",
        "/work/job/out/final.mp4",  # the output takes its key's extension
    ]


def test_several_tokens_in_one_item_and_other_braces_untouched():
    argv = ["concat:{tmp:a.ts}|{tmp:b.ts}", "drawtext=text='%{pts}':x={w}", "{out:final}"]
    plan = plan_with(argv)
    assert expand_argv(plan, plan["steps"][0], ROOT, "libx264")[:2] == [
        "concat:/work/job/tmp/a.ts|/work/job/tmp/b.ts",
        "drawtext=text='%{pts}':x={w}",
    ]


@pytest.mark.parametrize(
    ("detected", "encoders", "expected"),
    [
        ("libx264", ENCODERS, ENCODERS["libx264"]),
        ("h264_nvenc", ENCODERS, ENCODERS["h264_nvenc"]),
        # a plan without an NVENC entry still runs on an NVENC machine
        ("h264_nvenc", {"libx264": ENCODERS["libx264"]}, ENCODERS["libx264"]),
    ],
)
def test_venc_expands_to_the_chosen_encoders_arguments(detected, encoders, expected):
    plan = plan_with(["-i", "{in:img-1}", "{venc}", "-pix_fmt", "yuv420p", "{out:final}"], encoders)
    assert expand_argv(plan, plan["steps"][0], ROOT, detected) == [
        "-i", "/work/job/in/img-1.JPG", *expected, "-pix_fmt", "yuv420p", "/work/job/out/final.mp4",
    ]


def test_venc_without_a_usable_entry_is_a_plan_error():
    plan = plan_with(["{venc}", "{out:final}"], {"libx265": ["-c:v", "libx265"]})
    with pytest.raises(PlanError, match='step "s" uses {venc} but plan.encoders has no entry '
                                        "for h264_nvenc or libx264"):
        expand_argv(plan, plan["steps"][0], ROOT, "h264_nvenc")
    with pytest.raises(PlanError, match="no entry for libx264$"):
        expand_argv(plan, plan["steps"][0], ROOT, "libx264")


def test_parallel_limit_is_capped_by_cores(monkeypatch):
    monkeypatch.setattr("autodark_gpu.executor._cores", lambda: 8)
    assert parallel_limit({"maxParallelSteps": 64}, "h264_nvenc") == 12  # 1.5 x cores: the GPU encodes
    assert parallel_limit({"maxParallelSteps": 64}, "libx264") == 8  # the CPU encodes: one per core
    assert parallel_limit({"maxParallelSteps": 1}, "h264_nvenc") == 1


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None, reason="this machine has an NVIDIA GPU")
def test_encoder_falls_back_to_libx264_without_a_gpu():
    encoder.detect_encoder.cache_clear()
    assert encoder.detect_encoder() == "libx264"
    # Debian's ffmpeg lists h264_nvenc; the test encode is what rules it out here.
    if encoder._nvenc_listed():
        works, detail = encoder._nvenc_test_encode()
        assert not works
        assert detail


def test_side_by_side_libx264_steps_share_the_cores_and_a_lone_one_keeps_auto_threads(monkeypatch):
    monkeypatch.setattr("autodark_gpu.executor._cores", lambda: 16)
    many = {"maxParallelSteps": 4, "steps": [{}] * 8}
    assert encoder_threads(many, "libx264") == 4  # 4 clips at once on 16 cores
    assert encoder_threads({"maxParallelSteps": 4, "steps": [{}]}, "libx264") is None

    plan = plan_with(["{venc}", "{out:final}"])
    assert expand_argv(plan, plan["steps"][0], ROOT, "libx264", 4) == [
        *ENCODERS["libx264"], "-threads", "4", "/work/job/out/final.mp4"]
    # NVENC does its work on the GPU: no thread count
    assert expand_argv(plan, plan["steps"][0], ROOT, "h264_nvenc", 4) == [
        *ENCODERS["h264_nvenc"], "/work/job/out/final.mp4"]
