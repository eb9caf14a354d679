"""Content limits and a simple sensitive-word filter, so obvious abuse never reaches the wall."""

import re

from app.errors import ValidationFailed

# Obvious abuse, fraud and illegal trade; matched after dropping spaces and punctuation.
SENSITIVE_WORDS = (
    "赌博",
    "博彩",
    "六合彩",
    "色情",
    "裸聊",
    "约炮",
    "援交",
    "代孕",
    "卖淫",
    "嫖娼",
    "毒品",
    "冰毒",
    "大麻",
    "枪支",
    "弹药",
    "炸药",
    "办证",
    "代开发票",
    "刷单",
    "套现",
    "高利贷",
    "裸贷",
    "网贷",
    "传销",
    "洗钱",
    "法轮",
    "藏独",
    "台独",
    "傻逼",
    "操你",
    "草泥马",
    "去死",
    "贱人",
    "杀了你",
)
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)

LIMITS = {"title": 40, "description": 500, "note": 500, "comment": 300}


def find_sensitive(*texts: str | None) -> str | None:
    """The first sensitive word found in any of the texts, else None."""
    joined = _NOISE.sub("", "".join(t for t in texts if t)).lower()
    for word in SENSITIVE_WORDS:
        if word in joined:
            return word
    return None


def check_text(*texts: str | None) -> None:
    """Raise 422 `content_rejected` (with a Chinese message) if a text holds a sensitive word."""
    word = find_sensitive(*texts)
    if word:
        raise ValidationFailed(
            f"内容包含不当词语“{word}”，请修改后再提交", code="content_rejected", title="内容未通过检查"
        )
