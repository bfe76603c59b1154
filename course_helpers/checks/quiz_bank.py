"""The lessons' quizzes, kept here so that a lesson's cell shows neither the answer nor its explanation.

A lesson's quiz cell is one line, ``course_helpers.lesson_quiz("02.1")`` (lesson
02, its first quiz): the learner sees the question and its options, clicks one,
and only then reads whether it was right and why. Where widgets do not render
(GitHub), the cell's stored output shows the question with the answer folded
in a ``<details>`` block. Edit a quiz here; the lesson's cell stays as it is.

Used in: every lesson's "check your understanding" cells (notebooks/*.ipynb)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["QUIZZES", "Quiz"]


@dataclass(frozen=True)
class Quiz:
    """One multiple-choice question; ``answer`` is the right option's index or text."""

    question: str
    options: tuple[str, ...]
    answer: int | str
    explanation: str


QUIZZES: dict[str, Quiz] = {
    # notebooks/00_setup.ipynb
    "00.1": Quiz(
        "You pushed a commit containing your .env (with your key) to a public repository, "
        "and deleted the file in the next commit five minutes later. What should you do?",
        (
            "Nothing: the file is deleted now.",
            "Revoke the key on the OpenAI dashboard and create a new one.",
            "Make the repository private.",
            "Rename OPENAI_API_KEY to something harder to guess.",
        ),
        answer=1,
        explanation="The key is still in the repository's history, and key-scanning bots may already have it. "
        "A leaked key must be revoked; only then is it harmless. Then put .env in .gitignore.",
    ),
    "00.2": Quiz(
        "A reply ends in the middle of a sentence and choices[0].finish_reason is 'length'. What happened?",
        (
            "The model had nothing more to say.",
            "The reply reached max_completion_tokens and was cut off.",
            "The server crashed.",
            "A content filter removed the end.",
        ),
        answer=1,
        explanation="'length' means the token budget ran out. Raise max_completion_tokens, or ask for a shorter "
        "answer. On a reasoning model the hidden reasoning counts against the same limit: at an effort above "
        "'none', a small limit can even give an empty reply. A content filter would say 'content_filter'; "
        "a model that is done says 'stop'.",
    ),
    "00.3": Quiz(
        "gpt-6-luna at reasoning_effort='medium' answers in one short line. usage.completion_tokens is 420, and "
        "usage.completion_tokens_details.reasoning_tokens is 400. How many tokens are billed at the output price?",
        (
            "20: only the visible reply.",
            "400: only the reasoning.",
            "420: the reasoning and the visible reply.",
            "820: completion_tokens plus reasoning_tokens.",
        ),
        answer=2,
        explanation="Reasoning tokens are output the model wrote, hidden or not, and completion_tokens already "
        "counts them: 400 reasoning + 20 visible = 420, all billed as output. reasoning_tokens says how many of "
        "them were reasoning; adding it again would count them twice.",
    ),
    "00.4": Quiz(
        "On gpt-6-luna, which costs more: 1,000 prompt tokens or 1,000 completion tokens?",
        (
            "The 1,000 prompt tokens.",
            "The 1,000 completion tokens.",
            "They cost the same.",
        ),
        answer=1,
        explanation="Output costs 5 times more than input on gpt-6-luna ($0.50 against $0.10 per million). "
        "Generating a token takes a full pass through the model; reading the prompt is done in parallel. "
        "Reasoning tokens are output too, so at an effort above 'none' a reply can cost more than its visible "
        "text. Capping max_completion_tokens and asking for concise answers saves the most.",
    ),
    "00.5": Quiz(
        "Code from an older tutorial fails with openai.BadRequestError, status 400, error.param == 'max_tokens' "
        "and error.code == 'unsupported_parameter'. What is the best first step?",
        (
            "Retry the same request a few times.",
            "Send the limit as max_completion_tokens instead of max_tokens.",
            "Create a new API key.",
            "Lower the value of max_tokens.",
        ),
        answer=1,
        explanation="'unsupported_parameter' means the model does not take this parameter at all, whatever its "
        "value: newer models reject max_tokens, the old name of the limit, and want max_completion_tokens. "
        "A 400 is about the request itself, so retrying it unchanged fails again; error.param points at the "
        "culprit. Keys are 401 errors.",
    ),
    # notebooks/01_messages_and_roles.ipynb
    "01.1": Quiz(
        "You build a homework helper that must never give the final answer, only hints. Where does that rule belong?",
        (
            "In a developer (or system) message at the start of every request.",
            "In the first user message, once.",
            "In an assistant message.",
            "Nowhere: models follow no rules.",
        ),
        answer=0,
        explanation="Rules of the application go in the developer message (system is its older name), which the "
        "model weighs more than user messages, and which you send with every Chat Completions request (it keeps "
        "no memory between requests). No model follows rules perfectly, so important ones also need checks in "
        "your code.",
    ),
    "01.2": Quiz(
        "Your app calls Chat Completions and sends only the newest user message with each request. A user "
        "writes 'My name is Ada.', then 'What is my name?'. What happens?",
        (
            "The model answers 'Ada': it remembers the conversation.",
            "The model cannot know the name: the second request does not contain it.",
            "The API returns an error because the history is missing.",
            "The server keeps the earlier request and adds it to the next one, so it works.",
        ),
        answer=1,
        explanation="Chat Completions is stateless: the model sees only the messages of the current request. "
        "To remember, send the history (earlier user and assistant messages) every time. The Responses API "
        "is different: it stores responses (store, 30 days by default) and can continue from one with "
        "previous_response_id (lesson 06).",
    ),
    "01.3": Quiz(
        "In a few-shot prompt, who wrote the assistant messages?",
        (
            "The model, in earlier requests.",
            "You, the developer: they are examples of the answers you want.",
            "OpenAI, as part of the model's training.",
        ),
        answer=1,
        explanation="The model cannot tell whether an assistant turn came from it or from you: it only sees text "
        "in its chat template. Writing examples as assistant turns shows it the exact format you want.",
    ),
    # notebooks/02_parameters.ipynb
    "02.1": Quiz(
        "The next-token probabilities are apple 0.6, banana 0.25, cherry 0.1, donut 0.05. "
        "What does temperature=0.3 do compared with temperature=1?",
        (
            "apple becomes even more likely; donut almost never appears.",
            "All four words become equally likely.",
            "The model changes its probabilities and thinks donut is best.",
            "Nothing: temperature only changes the length of the reply.",
        ),
        answer=0,
        explanation="Dividing the logits by 0.3 stretches their differences, so the favorite takes almost all the "
        "probability. A temperature above 1 would do the opposite and flatten them.",
    ),
    "02.2": Quiz(
        "Same four words (apple 0.6, banana 0.25, cherry 0.1, donut 0.05). "
        "Setting A: temperature=0, top_p=1. Setting B: temperature=1, top_p=0.5. Which is true?",
        (
            "Both always answer apple.",
            "A always answers apple; B picks between apple and banana.",
            "A picks at random among all four; B always answers apple.",
            "Both pick at random among all four.",
        ),
        answer=0,
        explanation="At temperature 0 the sampler is greedy: apple, every time (top_p does not matter). "
        "With top_p=0.5 the nucleus is apple alone (0.6 already reaches 0.5), so B can only draw apple too.",
    ),
    "02.3": Quiz(
        "You want 5 different slogans from gpt-6-luna (reasoning_effort='none', temperature=1). How do you get them?",
        (
            "One request with n=5.",
            "Five requests, one reply each (with five different seeds if you want to reproduce them).",
            "One request with n=5 and temperature=0.",
            "Five requests with the same seed.",
        ),
        answer=1,
        explanation='gpt-6-luna rejects an explicit n, even n=1 (the SDK: "Newer models reject an explicit `n`"), '
        "so each reply is its own request. The same seed would give the same slogan five times, and so would "
        "temperature 0.",
    ),
    "02.4": Quiz(
        "You send the same request twice to OpenAI with seed=42 and temperature=1, and get two different replies. "
        "Both responses have the same system_fingerprint. What is the most likely explanation?",
        (
            "seed only works with temperature=0.",
            "seed is best effort on OpenAI: tiny numerical differences between runs can still change a token.",
            "The seed is ignored unless you ask for several replies.",
            "You need to pass the system_fingerprint back in the next request.",
        ),
        answer=1,
        explanation="OpenAI documents seed as best effort: determinism is likely but not guaranteed, even on the "
        "same backend configuration. A different system_fingerprint would make a difference expected.",
    ),
    "02.5": Quiz(
        "Old code sends model='gpt-6-luna', temperature=0.2 and max_tokens=300, with no reasoning_effort, "
        "and gets a 400 BadRequestError. What makes it work and keeps the temperature?",
        (
            "Lower the temperature to 0.",
            "Send reasoning_effort='none', and max_completion_tokens instead of max_tokens.",
            "Add n=1.",
            "Send reasoning_effort='minimal'.",
        ),
        answer=1,
        explanation="Without reasoning_effort gpt-6-luna reasons at medium, where it refuses temperature; only "
        "'none' takes it. It also refuses max_tokens: the limit is max_completion_tokens. "
        "n=1 is refused too, and gpt-6-luna has no 'minimal' effort.",
    ),
    "02.6": Quiz(
        "With an OpenAI key, a request to gpt-6-luna at reasoning_effort='medium' with max_completion_tokens=20 "
        "comes back with an empty reply and finish_reason 'length'. Why?",
        (
            "The model refused to answer.",
            "The hidden reasoning used up the 20 tokens before the answer began.",
            "max_completion_tokens counts only the prompt.",
            "The server crashed.",
        ),
        answer=1,
        explanation="max_completion_tokens counts the reasoning tokens too "
        "(usage.completion_tokens_details.reasoning_tokens). Give a reasoning request far more room, or "
        "send reasoning_effort='none' when you need no reasoning.",
    ),
    # notebooks/03_logprobs.ipynb
    "03.1": Quiz(
        "A token has logprob -0.105. About how likely did the model find it?",
        (
            "About 10%",
            "About 90%",
            "About -10%",
            "Impossible to say without top_logprobs",
        ),
        answer=1,
        explanation="np.exp(-0.105) ≈ 0.90. Logprobs near 0 mean near-certain tokens; -2.3 would be 10%. "
        "A probability is never negative: the logprob is, because the log of a number below 1 is negative.",
    ),
    "03.2": Quiz(
        "Reply A has 10 tokens and a total logprob of -5. Reply B has 40 tokens and a total logprob of -12. "
        "Which one did the model find more natural, token for token?",
        (
            "A: its total logprob is closer to 0.",
            "B: its perplexity is lower.",
            "They are equally natural.",
        ),
        answer=1,
        explanation="Compare per token: A's perplexity is exp(5/10) ≈ 1.65, B's is exp(12/40) ≈ 1.35. "
        "The total always falls with length, so longer replies look less likely overall even when each token is expected.",
    ),
    "03.3": Quiz(
        "The first token's top_logprobs are: 'negative' 0.45, 'Negative' 0.15, 'positive' 0.30, 'neutral' 0.05. "
        "What is the classifier's confidence in the label negative?",
        (
            "0.45",
            "0.60",
            "0.15",
            "0.45 / 0.30 = 1.5",
        ),
        answer=1,
        explanation="'negative' and 'Negative' are two spellings of one label: 0.45 + 0.15 = 0.60. "
        "1.5 is how many times more likely the first spelling is than positive, not a confidence.",
    ),
    "03.4": Quiz(
        "Your classifier sends gpt-6-luna reasoning_effort='none', logprobs=True, top_logprobs=20 and "
        "max_completion_tokens=1. A colleague changes the effort to 'low', for better labels. What happens?",
        (
            "Better labels, with their logprobs as before.",
            "The request is refused with a 400: gpt-6-luna takes logprobs only at effort 'none'.",
            "The reply comes back, but choice.logprobs is None.",
            "The reply is empty: the reasoning uses up the one-token limit.",
        ),
        answer=1,
        explanation="OpenAI's deployment checklist says to remove logprobs and top_logprobs at any effort but none, "
        "and the built-in local backend refuses them with a 400, as section 8 shows (OpenAI's exact wording is not "
        "confirmed). The empty reply would be the next problem without logprobs: reasoning tokens count against "
        "max_completion_tokens.",
    ),
    # notebooks/04_moderation.ipynb
    "04.1": Quiz(
        "A moderation result is in `result`. Which expression gives the score of the category 'self-harm/intent'?",
        (
            'result.category_scores["self-harm/intent"]',
            "result.category_scores.self_harm_intent",
            "result.categories.self_harm_intent",
            "result.category_scores.self-harm/intent",
        ),
        answer=1,
        explanation="The SDK object has attributes with underscores. The first raises a TypeError (the object is "
        "not a dict: use model_dump(by_alias=True)[...] for JSON names), the third is the True/False verdict, "
        "and Python reads the last as arithmetic, result.category_scores.self - harm / intent, which fails.",
    ),
    "04.2": Quiz(
        "You lower the violence threshold of your app from 0.5 to 0.1. What happens?",
        (
            "Fewer messages are flagged for violence.",
            "More messages are flagged for violence, including more harmless ones.",
            "The model's violence scores get lower.",
            "Nothing changes until the provider updates its thresholds.",
        ),
        answer=1,
        explanation="A message counts when score >= threshold, so a lower threshold flags more: it catches more "
        "real violence and raises more false alarms. The scores themselves do not change: the threshold is "
        "your decision, applied to the same category_scores.",
    ),
    "04.3": Quiz(
        "The user's request passed moderation. Why check the model's reply too?",
        (
            "Because the moderation endpoint only works on replies.",
            "Because a harmless request can still produce a harmful reply, and users can ask around an input check.",
            "Because the chat model refuses harmful requests, so the input check is never needed.",
            "It is not useful: if the input is safe, the reply is too.",
        ),
        answer=1,
        explanation="The model writes text the user never asked for word for word: a story can turn graphic, "
        "a summary can quote something hateful. The output check catches what the input check cannot.",
    ),
    "04.4": Quiz(
        "Your children's app flags a text when a score reaches its own, stricter threshold. You move the guard "
        "into the chat request with the moderation parameter. Which policy keeps your thresholds in charge?",
        (
            "'block' on both sides: the provider then applies your thresholds.",
            "'score' on both sides, then compare the scores in completion.moderation with your thresholds in your code.",
            "No policy: the chat model reads your thresholds from the system message.",
            "'block' on the input only: the output is then never generated.",
        ),
        answer=1,
        explanation="The parameter takes a moderation model and a mode per side, and no thresholds, so 'block' can "
        "only act on the provider's own verdict. With 'score' the scores come back in completion.moderation.input "
        "and .output, and your code applies its thresholds as the hand-built guard did (the reply is generated "
        "either way, so your code must still hold it back).",
    ),
    # notebooks/05_audio.ipynb
    "05.1": Quiz(
        "A Realtime response brought 96,000 bytes of audio in the format audio/pcm at 24 kHz. How long is it?",
        (
            "4 seconds",
            "2 seconds",
            "96 seconds",
            "It depends on the voice",
        ),
        answer=1,
        explanation="PCM16 is 24,000 samples a second, 2 bytes each: 96,000 / 2 / 24,000 = 2 seconds. "
        "The voice changes the sound, not the format.",
    ),
    "05.2": Quiz(
        "Old code asked the Speech endpoint for response_format='mp3' and speed=2.0. What must change when it "
        "moves to the Realtime API?",
        (
            "Nothing: send the same two values in session.update.",
            "Ask for audio/pcm at 24 kHz and write the file yourself (a WAV header), with a speed of at most 1.5.",
            "Ask for {'type': 'audio/mp3'} and speed 2.0 in response.create.",
            "Use the voice fable, which reads faster.",
        ),
        answer=1,
        explanation="The Realtime API sends PCM16 at 24 kHz (or G.711), no mp3: you add the WAV header yourself, "
        "or convert with an audio tool. Its speed ends at 1.5; a higher one comes back as an error event. "
        "fable was a voice of the Speech endpoint only.",
    ),
    "05.3": Quiz(
        "A video needs subtitles with times, and you transcribe with gpt-transcribe. How do you get the times?",
        (
            "Ask for response_format='srt'.",
            "Cut the audio at its pauses, transcribe each piece, and time each cue by where you cut.",
            "Add keywords=['timestamps'].",
            "Add prompt='Add a timestamp before every sentence.'",
        ),
        answer=1,
        explanation="gpt-transcribe answers with text (json or text), no times; other formats are not confirmed "
        "for it. You know where a piece starts and ends because you cut it there, so those times make the cues. "
        "keywords are spellings and a prompt is context: neither makes the model time anything.",
    ),
    # notebooks/06_beyond.ipynb
    "06.1": Quiz(
        "You stream with stream_options={'include_usage': True} and your loop does "
        "print(chunk.choices[0].delta.content). It crashes with IndexError on the last chunk. Why?",
        (
            "The server sent a broken chunk; retry the request.",
            "The usage chunk comes last and its choices list is empty: skip chunks without choices.",
            "include_usage only works without stream=True.",
            "delta.content is None on the last chunk.",
        ),
        answer=1,
        explanation="The final chunk carries only usage, with choices=[]. A None delta.content is a different "
        "problem (it prints 'None' and does not raise); `or \"\"` handles it.",
    ),
    "06.2": Quiz(
        "Your app must run against OpenAI today and against a self-hosted Ollama server next month. "
        "Which API should its requests use?",
        (
            "The Responses API, because it is newer.",
            "Chat Completions: it is the interface nearly every OpenAI-compatible server implements.",
            "Either: every server implements both completely.",
            "Neither: use the server's own native API.",
        ),
        answer=1,
        explanation="Chat Completions is the common denominator of Ollama, vLLM, llama.cpp and others; "
        "the Responses API is OpenAI's own, and other servers implement it partly or not at all.",
    ),
    "06.3": Quiz(
        "A chat app sends its first request with instructions='Answer in French.' and each later turn with "
        "only previous_response_id=<the last response's id> and the user's new message. From the second turn "
        "on, the replies are in English. Why?",
        (
            "The stored responses expired.",
            "previous_response_id carries the earlier input and output, but not the instructions: send them "
            "again with every request.",
            "previous_response_id only works together with a conversation.",
            "The model forgets everything but the last message.",
        ),
        answer=1,
        explanation="The chain gives the model the earlier turns' input and output; instructions apply only to "
        "the request that sends them (the SDK: 'the instructions from a previous response will not be carried "
        "over'). Stored responses last at least 30 days, and previous_response_id cannot be combined with a "
        "conversation at all.",
    ),
    "06.4": Quiz(
        "Your notebook works with OpenAI. You start Ollama and pull qwen3:0.6b. What do you change so the "
        "notebook uses Ollama?",
        (
            "Rewrite the requests with the ollama Python package.",
            "Set OPENAI_BASE_URL=http://localhost:11434/v1 (and any OPENAI_API_KEY), and send model='qwen3:0.6b'.",
            "Nothing: the SDK finds Ollama by itself.",
            "Set OPENAI_API_KEY to your OpenAI key so Ollama can forward the requests.",
        ),
        answer=1,
        explanation="Ollama serves the OpenAI API at /v1: the SDK only needs the base URL, a non-empty key and "
        "a model that Ollama has.",
    ),
}
