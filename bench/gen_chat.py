"""Generate a seeded, realistic chat fine-tuning JSONL file for the benchmarks.

    python bench/gen_chat.py [--mb 100] [--seed 20240601] [--out bench/out/chat_100mb.jsonl]

The mix follows shared/reference/perf-probe.md: English prose is real sentences from
Python stdlib docstrings, code is real stdlib source, ~13 % of messages are in one of
nine other languages, ~3 % of sentences end in an emoji above U+FFFF, ~15 % of examples
have no system prompt, ~5 % are tool-call examples, ~10 % carry `weight`, ~3 % `name`,
~3 % content-part arrays, and ~20 % of lines are written with `ensure_ascii=True`.
Every example is valid for chat SFT.

Same seed and same Python version -> same bytes (the docstring and source pools come
from the running interpreter's stdlib). `--mb` counts MiB (2**20 bytes), so the default
file is about 104.9 MB, the size of the probe's 100k-example file.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import inspect
import json
import math
import re
import string
import sys
import textwrap
import time
import warnings
from pathlib import Path
from random import Random

import orjson

# Pure-Python stdlib modules whose docstrings/sources feed the prose and code pools.
# A fixed list (not sys.modules) keeps the pools independent of what else is imported.
POOL_MODULES = (
    "argparse", "ast", "calendar", "collections", "configparser", "csv", "dataclasses",
    "difflib", "email.message", "enum", "fractions", "ftplib", "functools", "gettext",
    "heapq", "http.client", "inspect", "ipaddress", "json", "logging", "pathlib", "pprint",
    "shlex", "shutil", "smtplib", "statistics", "string", "tarfile", "textwrap", "threading",
    "typing", "urllib.parse", "uuid", "zipfile", "tempfile", "random", "subprocess", "queue",
    "sched", "socketserver", "mailbox", "imaplib", "unittest.case", "asyncio.tasks",
    "concurrent.futures._base", "xml.dom.minidom", "wave", "trace", "pdb", "cmd", "code",
    "copy", "datetime", "glob", "fnmatch", "gzip", "bz2", "lzma", "locale", "netrc",
    "numbers", "optparse", "pickle", "platform", "plistlib", "poplib", "profile", "pstats",
    "quopri", "reprlib", "secrets", "selectors", "shelve", "sysconfig", "tabnanny", "timeit",
    "tokenize", "traceback", "tracemalloc", "types", "urllib.request", "warnings", "weakref",
    "wsgiref.simple_server", "xml.etree.ElementTree", "zoneinfo",
)

# Hand-written sentences for the non-English ~13 % of messages.
FOREIGN = {
    "fr": [
        "Pouvez-vous m'expliquer comment fonctionne cette fonction ?",
        "Le fichier de configuration doit être placé dans le répertoire personnel.",
        "Cette méthode renvoie une liste triée sans modifier l'original.",
        "Il faut d'abord installer les dépendances avec pip.",
        "L'erreur apparaît uniquement lorsque le fichier est vide.",
        "Voici une version plus rapide qui évite les copies inutiles.",
        "Les paramètres facultatifs ont une valeur par défaut raisonnable.",
        "Merci beaucoup, cela résout entièrement mon problème !",
    ],
    "de": [
        "Können Sie mir erklären, warum dieser Test fehlschlägt?",
        "Die Konfigurationsdatei wird beim Start automatisch eingelesen.",
        "Diese Funktion gibt eine sortierte Liste zurück, ohne das Original zu ändern.",
        "Zuerst müssen alle Abhängigkeiten installiert werden.",
        "Der Fehler tritt nur auf, wenn die Datei größer als zwei Gigabyte ist.",
        "Hier ist eine schnellere Variante, die unnötige Kopien vermeidet.",
        "Bitte überprüfen Sie die Zugriffsrechte des Verzeichnisses.",
        "Vielen Dank, das hat mein Problem vollständig gelöst!",
    ],
    "es": [
        "¿Podrías explicarme cómo funciona esta función?",
        "El archivo de configuración debe estar en el directorio del usuario.",
        "Este método devuelve una lista ordenada sin modificar la original.",
        "Primero hay que instalar las dependencias con pip.",
        "El error solo aparece cuando el archivo está vacío.",
        "Aquí tienes una versión más rápida que evita copias innecesarias.",
        "Los parámetros opcionales tienen un valor predeterminado razonable.",
        "¡Muchas gracias, eso resuelve mi problema por completo!",
    ],
    "ru": [
        "Не могли бы вы объяснить, как работает эта функция?",
        "Файл конфигурации должен находиться в домашнем каталоге.",
        "Этот метод возвращает отсортированный список, не изменяя исходный.",
        "Сначала нужно установить зависимости с помощью pip.",
        "Ошибка появляется только тогда, когда файл пустой.",
        "Вот более быстрая версия, которая избегает лишних копий.",
        "Необязательные параметры имеют разумные значения по умолчанию.",
        "Большое спасибо, это полностью решило мою проблему!",
    ],
    "zh": [
        "你能解释一下这个函数是如何工作的吗？请尽量详细一些。",
        "配置文件应该放在用户的主目录下，否则程序无法找到它。",
        "这个方法返回一个排序后的列表，而不会修改原始列表。",
        "首先需要使用 pip 安装所有依赖项，然后再运行测试。",
        "只有当文件为空时才会出现这个错误，其他情况都正常。",
        "这是一个更快的版本，它避免了不必要的数据复制。",
        "可选参数都有合理的默认值，通常不需要手动设置。",
        "非常感谢，这完全解决了我的问题！",
    ],
    "ja": [
        "この関数がどのように動作するのか説明していただけますか？",
        "設定ファイルはユーザーのホームディレクトリに置く必要があります。",
        "このメソッドは元のリストを変更せずに、ソートされたリストを返します。",
        "まず pip を使って依存関係をインストールしてください。",
        "ファイルが空のときにだけ、このエラーが発生します。",
        "不要なコピーを避ける、より高速なバージョンはこちらです。",
        "省略可能な引数には妥当なデフォルト値が設定されています。",
        "ありがとうございます、問題が完全に解決しました！",
    ],
    "ko": [
        "이 함수가 어떻게 동작하는지 설명해 주실 수 있나요?",
        "설정 파일은 사용자의 홈 디렉터리에 있어야 합니다.",
        "이 메서드는 원본을 수정하지 않고 정렬된 목록을 반환합니다.",
        "먼저 pip로 모든 의존성을 설치해야 합니다.",
        "이 오류는 파일이 비어 있을 때만 발생합니다.",
        "불필요한 복사를 피하는 더 빠른 버전은 다음과 같습니다.",
        "선택적 매개변수에는 적절한 기본값이 지정되어 있습니다.",
        "정말 감사합니다, 덕분에 문제가 완전히 해결되었어요!",
    ],
    "ar": [
        "هل يمكنك أن تشرح لي كيف تعمل هذه الدالة؟",
        "يجب وضع ملف الإعدادات في المجلد الرئيسي للمستخدم.",
        "تعيد هذه الطريقة قائمة مرتبة دون تعديل القائمة الأصلية.",
        "يجب أولاً تثبيت جميع المكتبات المطلوبة باستخدام pip.",
        "يظهر هذا الخطأ فقط عندما يكون الملف فارغاً.",
        "إليك نسخة أسرع تتجنب النسخ غير الضروري للبيانات.",
        "للمعاملات الاختيارية قيم افتراضية معقولة.",
        "شكراً جزيلاً، لقد حلّ هذا مشكلتي تماماً!",
    ],
    "hi": [
        "क्या आप समझा सकते हैं कि यह फ़ंक्शन कैसे काम करता है?",
        "कॉन्फ़िगरेशन फ़ाइल उपयोगकर्ता की होम डायरेक्टरी में होनी चाहिए।",
        "यह मेथड मूल सूची को बदले बिना एक क्रमबद्ध सूची लौटाता है।",
        "सबसे पहले pip से सभी निर्भरताएँ इंस्टॉल करनी होंगी।",
        "यह त्रुटि केवल तब आती है जब फ़ाइल खाली होती है।",
        "यह एक तेज़ संस्करण है जो अनावश्यक प्रतियों से बचता है।",
        "वैकल्पिक पैरामीटरों के डिफ़ॉल्ट मान उचित रखे गए हैं।",
        "बहुत धन्यवाद, इससे मेरी समस्या पूरी तरह हल हो गई!",
    ],
}
LANGS = sorted(FOREIGN)
EMOJI = ["\U0001F600", "\U0001F680", "\U0001F389", "\U0001F44D", "\U0001F914",
         "\U0001F4E6", "\U0001F525", "\U0001F4A1", "\U0001F40D", "\U0001F9EA"]

PERSONAS = [
    "You are a helpful assistant.", "You are a senior Python developer.",
    "You are a concise technical writer.", "You are a patient programming tutor.",
    "You are a customer support agent for a software company.",
    "You are an assistant that answers questions about the Python standard library.",
]
CODE_INTROS = ["Here is an example:", "This is how the standard library does it:",
               "Consider the following implementation.", "Can you review this code?",
               "Here is the relevant function:", "For reference, the source looks like this:"]
NAMES = ["alice", "bob_42", "Carol-Smith", "dev_ops", "qa-team", "user_7"]
CITIES = ["Paris", "Berlin", "München", "São Paulo", "東京", "Москва", "Cairo", "Seoul",
          "New York", "Zürich"]
CURRENCIES = ["EUR", "USD", "JPY", "GBP", "CHF", "KRW", "INR"]


def _tool(name, description, properties, required):
    return {"type": "function", "function": {
        "name": name, "description": description,
        "parameters": {"type": "object", "properties": properties, "required": required,
                       "additionalProperties": False}}}


# name -> (tool declaration, arguments generator, result generator); arguments always
# satisfy the declared schema.
TOOLS = {
    "get_weather": (
        _tool("get_weather", "Get the current weather for a city.",
              {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
              ["city"]),
        lambda r: {"city": r.choice(CITIES), "unit": r.choice(["celsius", "fahrenheit"])},
        lambda r: {"temperature": r.randint(-10, 35), "conditions": r.choice(["sunny", "cloudy", "rain"])},
    ),
    "search_docs": (
        _tool("search_docs", "Search the documentation and return matching page titles.",
              {"query": {"type": "string"}, "max_results": {"type": "integer", "minimum": 1, "maximum": 20}},
              ["query"]),
        lambda r: {"query": r.choice(["pathlib glob", "csv dialect", "asyncio gather timeout",
                                      "dataclass frozen", "logging handlers"]),
                   "max_results": r.randint(1, 20)},
        lambda r: {"results": [f"Page {r.randint(1, 999)}" for _ in range(r.randint(1, 3))]},
    ),
    "convert_currency": (
        _tool("convert_currency", "Convert an amount between two currencies.",
              {"amount": {"type": "number", "minimum": 0},
               "from_currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
               "to_currency": {"type": "string", "pattern": "^[A-Z]{3}$"}},
              ["amount", "from_currency", "to_currency"]),
        lambda r: {"amount": r.randint(1, 100000) / 4, "from_currency": r.choice(CURRENCIES),
                   "to_currency": r.choice(CURRENCIES)},
        lambda r: {"converted": r.randint(1, 10**6) / 100, "rate_date": "2024-06-01"},
    ),
    "get_order_status": (
        _tool("get_order_status", "Look up the status of a customer order.",
              {"order_id": {"type": "string"}}, ["order_id"]),
        lambda r: {"order_id": f"ORD-{r.randint(100000, 999999)}"},
        lambda r: {"status": r.choice(["shipped", "processing", "delivered"]), "eta_days": r.randint(0, 9)},
    ),
    "create_event": (
        _tool("create_event", "Create a calendar event.",
              {"title": {"type": "string"}, "start": {"type": "string"},
               "duration_minutes": {"type": "integer", "minimum": 5},
               "attendees": {"type": "array", "items": {"type": "string"}}},
              ["title", "start"]),
        lambda r: {"title": r.choice(["Code review", "Sprint planning", "Réunion d'équipe"]),
                   "start": f"2024-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T{r.randint(8, 17):02d}:00:00",
                   "duration_minutes": r.choice([15, 30, 60]),
                   "attendees": r.sample(NAMES, r.randint(1, 3))},
        lambda r: {"event_id": f"evt_{r.randint(10**5, 10**6)}", "created": True},
    ),
}
TOOL_NAMES = sorted(TOOLS)


def build_pools():
    """English sentences from docstrings and code chunks from function sources."""
    docs, code = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated modules warn on import
        for modname in POOL_MODULES:
            try:
                mod = importlib.import_module(modname)
            except ImportError:  # removed in this Python version; the pool is per-version anyway
                continue
            objs = [mod]
            for _, obj in sorted(vars(mod).items()):
                if (inspect.isclass(obj) or inspect.isfunction(obj)) and obj.__module__ == mod.__name__:
                    objs.append(obj)
                    if inspect.isclass(obj):
                        objs += [m for _, m in sorted(vars(obj).items()) if inspect.isfunction(m)]
            for obj in objs:
                if doc := inspect.getdoc(obj):
                    docs.append(doc)
                if inspect.isfunction(obj):
                    try:
                        code.append(textwrap.dedent(inspect.getsource(obj)).strip())
                    except (OSError, TypeError):
                        pass
    sentences = set()
    for doc in docs:
        for para in re.split(r"\n\s*\n", doc):
            for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", " ".join(para.split())):
                if (30 <= len(s) <= 300 and s[0].isupper() and s[-1] in ".!?"
                        and s.isascii() and s.isprintable() and ">>>" not in s):
                    sentences.add(s)
    # sorted(): set order depends on string hash randomisation
    return sorted(sentences), [c for c in code if 80 <= len(c) <= 1300]


class Generator:
    def __init__(self, seed: int):
        self.r = Random(seed)
        self.sentences, self.code = build_pools()
        self.stats = dict(examples=0, messages=0, foreign_messages=0, code_messages=0,
                          no_system=0, tool_examples=0, weight_examples=0, name_examples=0,
                          parts_examples=0, ascii_lines=0)

    def length(self, median: float, sigma: float, lo=20, hi=2000) -> int:
        return min(hi, max(lo, int(self.r.lognormvariate(math.log(median), sigma))))

    def sentence(self, lang: str) -> str:
        r = self.r
        s = r.choice(self.sentences) if lang == "en" else r.choice(FOREIGN[lang])
        return s + " " + r.choice(EMOJI) if r.random() < 0.03 else s

    def prose(self, target: int, lang: str, hi: int = 2000, lead: str = "") -> str:
        parts, n = ([lead], len(lead)) if lead else ([], 0)
        while n < target:
            s = self.sentence(lang)
            if parts and n + 1 + len(s) > hi:
                break
            parts.append(s)
            n += len(s) + 1
        return " ".join(parts)

    def text(self, role: str, lang: str) -> str:
        r = self.r
        self.stats["foreign_messages"] += lang != "en"
        if role == "assistant":
            target = self.length(80, 1.0)
            with_code = r.random() < 0.06
        else:
            target = self.length(50, 0.9)
            with_code = r.random() < 0.02
        if with_code:
            self.stats["code_messages"] += 1
            chunk = r.choice(self.code)
            head = self.sentence(lang) if lang != "en" else r.choice(CODE_INTROS)
            tail = self.prose(max(0, target - len(chunk)), lang, hi=1900 - len(chunk) - len(head))
            return f"{head}\n\n```python\n{chunk}\n```\n\n{tail}".rstrip()
        return self.prose(target, lang)

    def system(self) -> dict:
        target = self.r.randint(50, 400)
        return {"role": "system", "content": self.prose(target, "en", hi=400, lead=self.r.choice(PERSONAS))}

    def tool_turn(self, lang: str) -> tuple[list[dict], list[dict]]:
        """user -> assistant tool_calls -> tool result(s) -> assistant answer; plus `tools`."""
        r = self.r
        names = [r.choice(TOOL_NAMES) for _ in range(1 if r.random() < 0.8 else 2)]
        calls, results = [], []
        for name in names:
            _, args, result = TOOLS[name]
            call_id = "call_" + "".join(r.choices(string.ascii_letters + string.digits, k=24))
            calls.append({"id": call_id, "type": "function",
                          "function": {"name": name, "arguments": orjson.dumps(args(r)).decode()}})
            results.append({"role": "tool", "tool_call_id": call_id,
                            "content": orjson.dumps(result(r)).decode()})
        msgs = [{"role": "user", "content": self.text("user", lang)},
                {"role": "assistant", "content": None, "tool_calls": calls},
                *results,
                {"role": "assistant", "content": self.text("assistant", lang)}]
        declared = sorted(set(names) | set(r.sample(TOOL_NAMES, r.randint(0, 2))))
        return msgs, [TOOLS[n][0] for n in declared]

    def example(self) -> dict:
        r, st = self.r, self.stats
        lang = r.choice(LANGS) if r.random() < 0.15 else "en"  # system prompts stay English
        msgs = []
        if r.random() < 0.85:
            msgs.append(self.system())
        else:
            st["no_system"] += 1
        is_tool = r.random() < 0.05
        for _ in range(r.choice((1, 1, 1, 1, 2, 2, 2, 3, 4)) - is_tool):  # mean ~1.9 turns
            msgs.append({"role": "user", "content": self.text("user", lang)})
            msgs.append({"role": "assistant", "content": self.text("assistant", lang)})
        ex = {"messages": msgs}
        if is_tool:
            st["tool_examples"] += 1
            tool_msgs, ex["tools"] = self.tool_turn(lang)
            msgs += tool_msgs
        users = [m for m in msgs if m["role"] == "user"]
        if r.random() < 0.10:  # weight 0/1 on every assistant message; the last one trains
            st["weight_examples"] += 1
            assistants = [m for m in msgs if m["role"] == "assistant"]
            for m in assistants:
                m["weight"] = r.randint(0, 1)
            assistants[-1]["weight"] = 1
        if r.random() < 0.03:
            st["name_examples"] += 1
            users[0]["name"] = r.choice(NAMES)
        if r.random() < 0.03:  # user content as text parts, split at a sentence boundary
            st["parts_examples"] += 1
            for m in users:
                text = m["content"]
                cut = text.find(". ", len(text) // 2)
                pieces = [text[:cut + 1], text[cut + 2:]] if 0 < cut < len(text) - 2 else [text]
                m["content"] = [{"type": "text", "text": p} for p in pieces]
        st["examples"] += 1
        st["messages"] += len(msgs)
        return ex

    def line(self) -> bytes:
        ex = self.example()
        if self.r.random() < 0.20:
            self.stats["ascii_lines"] += 1
            return json.dumps(ex, ensure_ascii=True).encode() + b"\n"
        return orjson.dumps(ex) + b"\n"


def generate(out: Path, mb: float, seed: int) -> dict:
    target = int(mb * 2**20)
    gen = Generator(seed)
    sha, size, buf = hashlib.sha256(), 0, []
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")  # never leave a truncated file under the final name
    with open(tmp, "wb") as f:
        while size < target:  # whole lines only, so the file just exceeds the target
            line = gen.line()
            buf.append(line)
            size += len(line)
            if len(buf) == 1000 or size >= target:
                block = b"".join(buf)
                f.write(block)
                sha.update(block)
                buf.clear()
    tmp.replace(out)
    return dict(path=str(out), bytes=size, sha256=sha.hexdigest(), seed=seed,
                python=sys.version.split()[0], **gen.stats)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=100, help="size in MiB (default 100)")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--out", type=Path, help="default: bench/out/chat_<mb>mb.jsonl")
    args = ap.parse_args(argv)
    out = args.out or Path(__file__).resolve().parent / "out" / f"chat_{args.mb:g}mb.jsonl"
    t0 = time.perf_counter()
    info = generate(out, args.mb, args.seed)
    info["seconds"] = round(time.perf_counter() - t0, 2)
    for k, v in info.items():
        print(f"{k:>17}: {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
