"""Every string a person sees, in English and Bengali (Bengali text uses Bengali digits)."""

from __future__ import annotations

from decimal import Decimal
from typing import Final

LANGUAGES: Final = ("en", "bn")
_BN_DIGITS = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")


def bn_digits(text: str) -> str:
    """Write Latin digits as Bengali digits (০–৯)."""
    return text.translate(_BN_DIGITS)


def localize_number(value: int | str | Decimal, lang: str) -> str:
    """A number as the student reads it in their language."""
    text = str(value)
    return bn_digits(text) if lang == "bn" else text


TEXTS: Final[dict[str, dict[str, str]]] = {
    "choose_language": {
        "en": "Welcome to Dars! 📚 Choose your language:\nদার্স-এ স্বাগতম! তোমার ভাষা বেছে নাও:",
        "bn": "দার্স-এ স্বাগতম! 📚 তোমার ভাষা বেছে নাও:\nWelcome to Dars! Choose your language:",
    },
    "choose_grade": {
        "en": "Which class are you in?",
        "bn": "তুমি কোন শ্রেণিতে পড়ো?",
    },
    "confirm_name": {
        "en": "Shall I call you {name}? You can keep it or type another name.",
        "bn": "তোমাকে কি {name} নামে ডাকব? নামটি রাখতে পারো অথবা অন্য নাম লিখতে পারো।",
    },
    "keep_name": {"en": "✅ Keep “{name}”", "bn": "✅ “{name}” রাখো"},
    "change_name": {"en": "✏️ Another name", "bn": "✏️ অন্য নাম"},
    "ask_name": {
        "en": "Type the name you'd like me to use (up to 32 letters).",
        "bn": "যে নামে ডাকব সেটি লিখে পাঠাও (৩২ অক্ষরের মধ্যে)।",
    },
    "bad_name": {
        "en": "Please send a name of 1 to 32 letters, without links or commands.",
        "bn": "১ থেকে ৩২ অক্ষরের একটি নাম পাঠাও, কোনো লিংক বা কমান্ড ছাড়া।",
    },
    "onboarded": {
        "en": "All set, {name}! Every day you get {count} problems. Tap Practice to begin. 🚀",
        "bn": "সব ঠিক আছে, {name}! প্রতিদিন তুমি {count}টি সমস্যা পাবে। শুরু করতে অনুশীলন চাপো। 🚀",
    },
    "welcome_back": {
        "en": "Welcome back, {name}! 🔥 Streak: {current} days.",
        "bn": "আবার স্বাগতম, {name}! 🔥 ধারাবাহিকতা: {current} দিন।",
    },
    "practice_button": {"en": "▶️ Practice", "bn": "▶️ অনুশীলন"},
    "hint_button": {"en": "💡 Hint ({used}/3)", "bn": "💡 সংকেত ({used}/৩)"},
    "skip_button": {"en": "⏭ Skip", "bn": "⏭ বাদ দাও"},
    "problem_header": {
        "en": "Problem {number} of {total} · {topic}",
        "bn": "সমস্যা {number}/{total} · {topic}",
    },
    "type_answer": {
        "en": "✍️ Type your answer.",
        "bn": "✍️ তোমার উত্তর লিখে পাঠাও।",
    },
    "choose_option": {
        "en": "Tap your answer, or type its letter.",
        "bn": "উত্তরে চাপ দাও, অথবা অক্ষরটি লেখো।",
    },
    "hint_line": {"en": "💡 Hint {level}: {text}", "bn": "💡 সংকেত {level}: {text}"},
    "correct": {"en": "✅ Correct! Well done.", "bn": "✅ সঠিক! খুব ভালো।"},
    "try_again": {
        "en": "❌ Not quite. Have another go — you can also ask for a hint.",
        "bn": "❌ হয়নি। আরেকবার চেষ্টা করো — চাইলে সংকেতও নিতে পারো।",
    },
    "reveal": {
        "en": "❌ Not this time. The answer is {answer}.",
        "bn": "❌ এবার হলো না। সঠিক উত্তর {answer}।",
    },
    "skipped": {
        "en": "⏭ Skipped. The answer was {answer}.",
        "bn": "⏭ বাদ দেওয়া হলো। উত্তর ছিল {answer}।",
    },
    "explanation": {"en": "📖 {text}", "bn": "📖 {text}"},
    "unreadable": {
        "en": "🤔 I couldn't read that as an answer. {expect}",
        "bn": "🤔 উত্তরটি বুঝতে পারিনি। {expect}",
    },
    "expect_numeric": {
        "en": "Please send a number, like 12, 3/4, 0.5 or 25%.",
        "bn": "একটি সংখ্যা পাঠাও, যেমন ১২, ৩/৪, ০.৫ বা ২৫%।",
    },
    "expect_choice": {
        "en": "Please tap one of the buttons or type its letter (A, B, C, D).",
        "bn": "একটি বোতামে চাপ দাও বা অক্ষরটি লেখো (ক, খ, গ, ঘ)।",
    },
    "expect_text": {"en": "Please type a short answer in words.", "bn": "কথায় ছোট একটি উত্তর লেখো।"},
    "session_done": {
        "en": "🎉 Session complete! You got {correct} of {total} right and used {hints} hints.",
        "bn": "🎉 আজকের অনুশীলন শেষ! {total}টির মধ্যে {correct}টি সঠিক, সংকেত নিয়েছ {hints}টি।",
    },
    "streak": {
        "en": "🔥 Streak: {current} days (longest {longest}).",
        "bn": "🔥 ধারাবাহিকতা: {current} দিন (সর্বোচ্চ {longest})।",
    },
    "freeze_used": {
        "en": "🧊 You missed a day, so a streak freeze kept your streak safe.",
        "bn": "🧊 একদিন বাদ পড়েছিল, তাই একটি ফ্রিজ তোমার ধারাবাহিকতা রক্ষা করেছে।",
    },
    "milestone": {
        "en": "🏅 Milestone: {days} days in a row! Amazing work.",
        "bn": "🏅 মাইলফলক: টানা {days} দিন! দারুণ কাজ।",
    },
    "already_done": {
        "en": "✅ You've finished today's practice. Come back tomorrow!",
        "bn": "✅ আজকের অনুশীলন শেষ হয়েছে। কাল আবার এসো!",
    },
    "resuming": {
        "en": "Picking up where you left off.",
        "bn": "যেখানে থেমেছিলে সেখান থেকে শুরু করছি।",
    },
    "no_problems": {
        "en": "There are no problems for {grade} yet. Please check back soon!",
        "bn": "{grade}-এর জন্য এখনো কোনো সমস্যা নেই। কিছুদিন পরে আবার দেখো!",
    },
    "short_session": {
        "en": "Only {count} problems are available today.",
        "bn": "আজ শুধু {count}টি সমস্যা আছে।",
    },
    "no_session": {
        "en": "Tap Practice (or send /practice) to start today's problems.",
        "bn": "আজকের সমস্যা শুরু করতে অনুশীলন চাপো (অথবা /practice পাঠাও)।",
    },
    "no_more_hints": {"en": "That was the last hint.", "bn": "এটাই শেষ সংকেত ছিল।"},
    "hint_unavailable": {
        "en": "Read the question again slowly and write down what you know first.",
        "bn": "প্রশ্নটি আবার ধীরে পড়ো এবং আগে যা জানো তা লিখে ফেলো।",
    },
    "stale_button": {
        "en": "That button belongs to an earlier problem.",
        "bn": "এই বোতামটি আগের একটি সমস্যার।",
    },
    "not_text": {
        "en": "I can only read typed answers. Please type your answer as text. ✍️",
        "bn": "আমি শুধু লেখা উত্তর পড়তে পারি। উত্তরটি লিখে পাঠাও। ✍️",
    },
    "too_long": {
        "en": "That message is very long. Please send just your answer.",
        "bn": "বার্তাটি অনেক লম্বা। শুধু উত্তরটি পাঠাও।",
    },
    "unknown_command": {
        "en": "I don't know that command. Send /help to see what I can do.",
        "bn": "এই কমান্ডটি চিনি না। আমি কী করতে পারি দেখতে /help পাঠাও।",
    },
    "finish_onboarding": {
        "en": "Let's finish setting up first.",
        "bn": "আগে সেটআপ শেষ করি।",
    },
    "help": {
        "en": (
            "📚 Dars — daily maths practice for classes 6–8.\n\n"
            "/practice — today's problems (answer by typing, or tap a button)\n"
            "💡 Hint — up to 3 hints per problem, each a bit more help\n"
            "⏭ Skip — move on and see the answer\n"
            "/settings — language, class, name and daily reminder\n"
            "/start — start again or see your streak\n\n"
            "Answer a little every day to grow your 🔥 streak!"
        ),
        "bn": (
            "📚 দার্স — ৬ষ্ঠ থেকে ৮ম শ্রেণির জন্য প্রতিদিনের গণিত অনুশীলন।\n\n"
            "/practice — আজকের সমস্যা (উত্তর লিখে বা বোতামে চাপ দিয়ে দাও)\n"
            "💡 সংকেত — প্রতি সমস্যায় ৩টি পর্যন্ত সংকেত, প্রতিটিতে একটু বেশি সাহায্য\n"
            "⏭ বাদ দাও — পরের সমস্যায় যাও এবং উত্তর দেখো\n"
            "/settings — ভাষা, শ্রেণি, নাম ও প্রতিদিনের রিমাইন্ডার\n"
            "/start — আবার শুরু করো বা ধারাবাহিকতা দেখো\n\n"
            "প্রতিদিন একটু করে উত্তর দাও, তোমার 🔥 ধারাবাহিকতা বাড়াও!"
        ),
    },
    "settings": {
        "en": (
            "⚙️ Your settings\nName: {name}\nLanguage: English\nClass: {grade}\n"
            "Daily reminder: {reminder}"
        ),
        "bn": (
            "⚙️ তোমার সেটিংস\nনাম: {name}\nভাষা: বাংলা\nশ্রেণি: {grade}\nপ্রতিদিনের রিমাইন্ডার: {reminder}"
        ),
    },
    "reminder_off": {"en": "off", "bn": "বন্ধ"},
    "set_language_button": {"en": "🌐 Language", "bn": "🌐 ভাষা"},
    "set_grade_button": {"en": "🎓 Class", "bn": "🎓 শ্রেণি"},
    "set_name_button": {"en": "✏️ Name", "bn": "✏️ নাম"},
    "set_reminder_button": {"en": "⏰ Reminder", "bn": "⏰ রিমাইন্ডার"},
    "ask_reminder": {
        "en": "Send the time for your daily reminder, like 18:30, or send “off”.",
        "bn": "প্রতিদিনের রিমাইন্ডারের সময় পাঠাও, যেমন ১৮:৩০, অথবা “বন্ধ” লেখো।",
    },
    "bad_reminder": {
        "en": "Please send a time like 18:30 (24-hour clock), or “off”.",
        "bn": "১৮:৩০-এর মতো সময় পাঠাও (২৪ ঘণ্টার ঘড়ি), অথবা “বন্ধ” লেখো।",
    },
    "reminder_set": {
        "en": "⏰ Daily reminder set for {time}.",
        "bn": "⏰ প্রতিদিনের রিমাইন্ডার {time}-এ ঠিক করা হলো।",
    },
    "reminder_disabled": {
        "en": "⏰ Daily reminder turned off.",
        "bn": "⏰ প্রতিদিনের রিমাইন্ডার বন্ধ করা হলো।",
    },
    "saved": {"en": "✅ Saved.", "bn": "✅ সংরক্ষিত হয়েছে।"},
    "error": {
        "en": (
            "😕 Sorry, something went wrong on my side. "
            "Nothing you did was lost — please try again."
        ),
        "bn": "😕 দুঃখিত, আমার দিকে একটি সমস্যা হয়েছে। তোমার কিছুই হারায়নি — আবার চেষ্টা করো।",
    },
    "reminder": {
        "en": "⏰ Hi {name}! Today's {count} problems are waiting for you.",
        "bn": "⏰ হাই {name}! আজকের {count}টি সমস্যা তোমার জন্য অপেক্ষা করছে।",
    },
    "reminder_streak": {
        "en": "⏰ Hi {name}! Your 🔥 {current}-day streak ends tonight unless you practise today.",
        "bn": "⏰ হাই {name}! আজ অনুশীলন না করলে তোমার 🔥 {current} দিনের ধারাবাহিকতা ভেঙে যাবে।",
    },
    "cmd_start": {"en": "Start or see your streak", "bn": "শুরু করো বা ধারাবাহিকতা দেখো"},
    "cmd_practice": {"en": "Today's problems", "bn": "আজকের সমস্যা"},
    "cmd_settings": {"en": "Language, class, name, reminder", "bn": "ভাষা, শ্রেণি, নাম, রিমাইন্ডার"},
    "cmd_help": {"en": "How Dars works", "bn": "দার্স কীভাবে কাজ করে"},
}

TOPICS: Final[dict[str, dict[str, str]]] = {
    "integers": {"en": "Integers", "bn": "পূর্ণসংখ্যা"},
    "fractions": {"en": "Fractions", "bn": "ভগ্নাংশ"},
    "decimals": {"en": "Decimals", "bn": "দশমিক"},
    "percentages": {"en": "Percentages", "bn": "শতকরা"},
    "ratio": {"en": "Ratio and proportion", "bn": "অনুপাত ও সমানুপাত"},
    "algebra": {"en": "Algebraic expressions", "bn": "বীজগাণিতিক রাশি"},
    "equations": {"en": "Equations", "bn": "সমীকরণ"},
    "geometry": {"en": "Geometry", "bn": "জ্যামিতি"},
    "statistics": {"en": "Statistics", "bn": "পরিসংখ্যান"},
}

GRADES: Final[dict[int, dict[str, str]]] = {
    6: {"en": "Class 6", "bn": "৬ষ্ঠ শ্রেণি"},
    7: {"en": "Class 7", "bn": "৭ম শ্রেণি"},
    8: {"en": "Class 8", "bn": "৮ম শ্রেণি"},
}

OPTION_LETTERS: Final[dict[str, str]] = {"en": "ABCD", "bn": "কখগঘ"}


def t(lang: str, key: str, **values: object) -> str:
    """The text ``key`` in ``lang``; number values are written in that language's digits."""
    template = TEXTS[key].get(lang) or TEXTS[key]["en"]
    if lang == "bn":
        values = {
            name: bn_digits(str(v)) if isinstance(v, int | Decimal) else v
            for name, v in values.items()
        }
    return template.format(**values)


def grade_name(lang: str, grade: int | None) -> str:
    """A class as the student says it ("Class 6", "৬ষ্ঠ শ্রেণি")."""
    return GRADES[grade][lang] if grade in GRADES else "—"


def topic_name(lang: str, topic: str) -> str:
    """A topic's human name; unknown topics show their slug."""
    names = TOPICS.get(topic)
    return names[lang] if names else topic.replace("_", " ").capitalize()
