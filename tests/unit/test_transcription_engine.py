"""Offline transcription engine: grammar recognition of synthetic Korean speech with the bundled Vosk
model, silence skipping on the recording's timeline, voice activity detection, input checks.

espeak-ng's voice is synthetic and Vosk's feature extraction adds random dither (Kaldi draws it
from libc's rand()), so a recognition can flip a word from run to run: the bars below hold with
a margin over repeated runs, they are not the exact words of one run.
"""

from __future__ import annotations

import io
import itertools
import math
import random
import struct
import subprocess
import sys
import warnings
import wave
from pathlib import Path
from typing import Any

import pytest

from hotline.rehearsal.speech import KOREAN_WORDS, korean_model_dir, say, speech_pcap, with_silence
from hotline.transcription.engine import (
    LegTranscript,
    Word,
    join_words,
    load_model,
    speech_regions,
    transcribe_pcm,
    transcribe_wav,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

RATE = 8000
BYTES_PER_SECOND = 2 * RATE


@pytest.fixture(scope="module")
def model() -> Any:
    return load_model(korean_model_dir())


@pytest.fixture(scope="module")
def audio_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech")


def _in_order(expected: list[str], got: list[str]) -> int:
    """How many of ``expected`` appear in ``got`` in the same order (longest common subsequence)."""
    table = [[0] * (len(got) + 1) for _ in range(len(expected) + 1)]
    for i, want in enumerate(expected):
        for j, word in enumerate(got):
            table[i + 1][j + 1] = table[i][j] + 1 if want == word else max(table[i][j + 1], table[i + 1][j])
    return table[-1][-1]


def _assert_well_formed(words: tuple[Word, ...]) -> None:
    assert all(word.start < word.end for word in words), words
    assert all(a.start < b.start for a, b in itertools.pairwise(words)), words
    assert all(0 < word.confidence <= 1 for word in words), words


# The Korean model is a 16 kHz (wideband) model; Vosk resamples 8 kHz input itself and keeps the
# times right, but telephone-band audio has nothing above 4 kHz, where the fricatives of 상담,
# 전화 and 감사합니다 are. Measured over 20 runs: 8/8 in order at 16 kHz every time; at 8 kHz
# 6-7 in 18 runs and 5 in 2, hence the lower bar there.
@pytest.mark.parametrize(("rate", "at_least"), [(16000, 6), (8000, 5)])
def test_grammar_constrained_recognition_finds_the_spoken_words_in_order(
    model: Any, audio_dir: Path, rate: int, at_least: int
) -> None:
    wav = say(KOREAN_WORDS, audio_dir, rate=rate)
    transcript = transcribe_wav(model, wav.read_bytes(), grammar=KOREAN_WORDS)
    got = [word.text for word in transcript.words]
    assert _in_order(list(KOREAN_WORDS), got) >= at_least, got
    _assert_well_formed(transcript.words)
    assert transcript.text == " ".join(got)  # Hangul words keep their spaces
    with wave.open(str(wav), "rb") as audio:
        assert transcript.audio_seconds == pytest.approx(audio.getnframes() / rate)


def test_skipping_silence_keeps_the_words_at_their_place_in_the_recording(
    model: Any, audio_dir: Path
) -> None:
    speech = say(KOREAN_WORDS, audio_dir)
    padded = with_silence(speech, audio_dir / "padded.wav", lead_seconds=20, tail_seconds=10)
    reference = transcribe_wav(model, speech.read_bytes(), grammar=KOREAN_WORDS, skip_silence=False)
    skipped = transcribe_wav(model, padded.read_bytes(), grammar=KOREAN_WORDS, skip_silence=True)

    _assert_well_formed(skipped.words)
    found = [
        word
        for word in reference.words
        if any(
            other.text == word.text and abs(other.start - (word.start + 20)) <= 0.3 for other in skipped.words
        )
    ]
    assert len(found) >= 5, (reference.words, skipped.words)  # 6-7 of 8 seen over 15 runs
    assert all(word.start >= 20 for word in skipped.words)
    assert skipped.audio_seconds == pytest.approx(reference.audio_seconds + 30)
    assert skipped.speech_seconds < 0.5 * skipped.audio_seconds
    unskipped = transcribe_wav(model, padded.read_bytes(), grammar=KOREAN_WORDS, skip_silence=False)
    assert unskipped.speech_seconds == unskipped.audio_seconds


def test_a_leg_of_silence_has_no_words_and_nothing_to_decode(model: Any) -> None:
    transcript = transcribe_pcm(model, bytes(30 * BYTES_PER_SECOND), RATE, grammar=KOREAN_WORDS)
    assert transcript == LegTranscript(words=(), audio_seconds=30.0, speech_seconds=0.0)
    assert transcribe_pcm(model, b"", RATE).words == ()


def _tone(seconds: float, amplitude: int = 8000, frequency: float = 440.0) -> bytes:
    samples = round(seconds * RATE)
    return struct.pack(
        f"<{samples}h",
        *(round(amplitude * math.sin(2 * math.pi * frequency * n / RATE)) for n in range(samples)),
    )


def _silence(seconds: float) -> bytes:
    return bytes(2 * round(seconds * RATE))


def _noise(seconds: float, rms: int) -> bytes:
    rng, amplitude = random.Random(7), round(rms * math.sqrt(3))
    samples = round(seconds * RATE)
    return struct.pack(f"<{samples}h", *(rng.randint(-amplitude, amplitude) for _ in range(samples)))


def _seconds(regions: list[tuple[int, int]]) -> list[tuple[float, float]]:
    return [(start / BYTES_PER_SECOND, end / BYTES_PER_SECOND) for start, end in regions]


def test_speech_regions_of_silence_and_line_noise_are_empty() -> None:
    assert speech_regions(b"", RATE) == []
    assert speech_regions(_silence(10), RATE) == []
    assert speech_regions(_noise(10, rms=30), RATE) == []  # about -60 dBFS of line hiss


def test_a_tone_burst_is_one_region_covering_it_with_padding() -> None:
    pcm = _silence(3) + _tone(1) + _silence(3)
    assert _seconds(speech_regions(pcm, RATE)) == [(2.7, 4.3)]  # 300 ms of padding each side
    at_the_edges = _tone(0.5) + _silence(3) + _tone(0.5)
    assert _seconds(speech_regions(at_the_edges, RATE)) == [(0.0, 0.8), (3.2, 4.0)]


def test_bursts_with_a_short_gap_merge_and_with_a_long_gap_stay_apart() -> None:
    short_gap = _silence(2) + _tone(0.5) + _silence(0.8) + _tone(0.5) + _silence(2)
    assert _seconds(speech_regions(short_gap, RATE)) == [(1.7, 4.1)]
    long_gap = _silence(2) + _tone(0.5) + _silence(5) + _tone(0.5) + _silence(2)
    assert _seconds(speech_regions(long_gap, RATE)) == [(1.7, 2.8), (7.2, 8.3)]
    regions = speech_regions(long_gap, RATE, pad_ms=0, min_gap_ms=6000)
    assert _seconds(regions) == [(2.0, 8.0)]


def test_speech_regions_keep_every_word_of_quiet_speech_on_a_noisy_line(audio_dir: Path) -> None:
    with wave.open(str(say(KOREAN_WORDS, audio_dir)), "rb") as audio:
        loud = audio.readframes(audio.getnframes())
    quiet = audioop.add(audioop.mul(loud, 2, 0.03), _noise(len(loud) / BYTES_PER_SECOND, rms=30), 2)
    regions = speech_regions(quiet, RATE)
    frame = 320  # 20 ms
    for offset in range(0, len(loud) - frame, frame):  # every frame of the original that carries speech
        if audioop.rms(loud[offset : offset + frame], 2) >= 100:
            assert any(start <= offset and offset + frame <= end for start, end in regions), offset / 16000
    assert len(regions) == len(KOREAN_WORDS)  # the pauses between words (> 1 s) are skipped


def test_speech_regions_refuse_odd_lengths() -> None:
    with pytest.raises(ValueError, match="even number of bytes"):
        speech_regions(b"\x00\x00\x00", RATE)


def _wav(channels: int, width: int, rate: int = RATE) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as audio:
        audio.setnchannels(channels)
        audio.setsampwidth(width)
        audio.setframerate(rate)
        audio.writeframes(bytes(channels * width * rate))
    return buffer.getvalue()


def test_transcribe_wav_refuses_what_is_not_16_bit_mono(model: Any) -> None:
    with pytest.raises(ValueError, match=r"16-bit with 2 channel\(s\) at 8000 Hz; expected 16-bit mono"):
        transcribe_wav(model, _wav(channels=2, width=2))
    with pytest.raises(ValueError, match=r"8-bit with 1 channel\(s\).*expected 16-bit mono"):
        transcribe_wav(model, _wav(channels=1, width=1))
    with pytest.raises(ValueError, match="not a PCM WAV file"):
        transcribe_wav(model, b"this is no wav file")


def test_load_model_says_which_setting_to_fix_when_the_directory_is_no_model(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"HOTLINE_TRANSCRIPTION__MODEL_DIR.*vosk-model-cn-0\.22"):
        load_model(tmp_path)
    with pytest.raises(FileNotFoundError, match="HOTLINE_TRANSCRIPTION__MODEL_DIR"):
        load_model(tmp_path / "missing")


def test_importing_the_engine_loads_nothing() -> None:
    code = "import sys, hotline.transcription.engine; assert 'vosk' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_words_join_with_spaces_except_between_chinese_ideographs() -> None:
    assert join_words(["你好", "请问", "法律", "援助"]) == "你好请问法律援助"
    assert join_words(["상담", "법률"]) == "상담 법률"
    assert join_words(["call", "12348", "now"]) == "call 12348 now"
    assert join_words(["请拨打", "12348", "法律", "热线"]) == "请拨打 12348 法律热线"
    assert join_words(["𠀀", "㐀", "豈"]) == "𠀀㐀豈"  # extension B, extension A, compatibility
    assert join_words([]) == ""
    words = (Word("劳动", 0.5, 0.9, 1.0), Word("仲裁", 1.0, 1.4, 0.8), Word("app", 1.5, 1.8, 0.7))
    assert LegTranscript(words, audio_seconds=2.0, speech_seconds=2.0).text == "劳动仲裁 app"


def test_speech_pcap_is_rtp_pcmu_in_20_ms_packets(audio_dir: Path) -> None:
    wav = say(KOREAN_WORDS[:2], audio_dir)
    with wave.open(str(wav), "rb") as audio:
        pcm = audio.readframes(audio.getnframes())
    data = speech_pcap(wav, audio_dir / "speech.pcap", first_seq=65534).read_bytes()

    magic, major, minor, _, _, snaplen, link = struct.unpack_from("<IHHiIII", data)
    assert (magic, major, minor, snaplen, link) == (0xA1B2C3D4, 2, 4, 65535, 1)
    offset, packets = 24, []
    while offset < len(data):
        seconds, micros, captured, length = struct.unpack_from("<IIII", data, offset)
        frame = data[offset + 16 : offset + 16 + captured]
        assert captured == length == len(frame) == 14 + 20 + 8 + 12 + 160
        assert frame[12:14] == b"\x08\x00" and frame[14] == 0x45 and frame[14 + 9] == 17  # IPv4, UDP
        packets.append((seconds * 1_000_000 + micros, frame[42:54], frame[54:]))
        offset += 16 + captured
    assert len(packets) == math.ceil(len(pcm) / 2 / 160)
    for index, (at_us, header, _) in enumerate(packets):
        version, marker_type, seq, timestamp, _ = struct.unpack(">BBHII", header)
        assert version == 0x80 and marker_type == (0x80 if index == 0 else 0) | 8  # PCMA, marker on the first
        assert seq == (65534 + index) & 0xFFFF and timestamp == 800000 + 160 * index
        assert at_us == 20_000 * index
    decoded = audioop.alaw2lin(b"".join(payload for _, _, payload in packets), 2)[: len(pcm)]
    error = audioop.rms(audioop.add(decoded, audioop.mul(pcm, 2, -1), 2), 2)
    assert error < 0.05 * audioop.rms(pcm, 2)  # A-law quantisation noise only
