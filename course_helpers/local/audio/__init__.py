"""The local backend's audio: text to speech (Piper) and speech to text (faster-whisper).

- ``voices.py``: the 13 OpenAI voice names as variations of one Piper voice
- ``speech.py``: synthesis, sentence by sentence, at 24 kHz
- ``timestretch.py``: the ``speed`` parameter (WSOLA, pitch unchanged)
- ``encoding.py``: mp3, opus, aac, flac, wav, pcm through PyAV, streamed
- ``transcription.py``: Whisper tiny.en through faster-whisper
- ``transcript_formats.py``: json, text, srt, vtt and verbose_json answers
- ``measures.py``: word error rate and a voice's pitch, to check the above

The HTTP routes live in ``course_helpers/local/server/audio.py``.
"""

__all__: list[str] = []
