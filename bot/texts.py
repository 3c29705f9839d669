"""Every string a person sees, in English and Bengali (Bengali text uses Bengali digits)."""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from problems.checking import to_bengali_digits

LANGUAGES: Final = ("en", "bn")


def bn_digits(text: str) -> str:
    """Write Latin digits as Bengali digits (০–৯)."""
    return to_bengali_digits(text)


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
        "en": "Type the name you'd like me to use (up to 64 letters).",
        "bn": "যে নামে ডাকব সেটি লিখে পাঠাও (৬৪ অক্ষরের মধ্যে)।",
    },
    "bad_name": {
        "en": "Please send a name of 1 to 64 letters, without links or commands.",
        "bn": "১ থেকে ৬৪ অক্ষরের একটি নাম পাঠাও, কোনো লিংক বা কমান্ড ছাড়া।",
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
    "expect_like": {
        "en": "Please write your answer in this shape ({example}).",
        "bn": "এভাবে উত্তর লেখো ({example})।",
    },
    "needs_form": {
        "en": "✏️ That is the right value — now {change}",
        "bn": "✏️ মান ঠিক হয়েছে — এবার {change}",
    },
    "form_lowest_terms": {"en": "write it in lowest terms.", "bn": "লঘিষ্ঠ আকারে লেখো।"},
    "form_fraction": {
        "en": "write it as a fraction (like 3/4).",
        "bn": "ভগ্নাংশ আকারে লেখো (যেমন ৩/৪)।",
    },
    "form_mixed": {
        "en": "write it as a mixed number (like 2 1/3).",
        "bn": "মিশ্র ভগ্নাংশ আকারে লেখো (যেমন ২ ১/৩)।",
    },
    "form_decimal": {"en": "write it as a decimal.", "bn": "দশমিক ভগ্নাংশে লেখো।"},
    "form_decimal_places": {
        "en": "write it as a decimal with {places} decimal places.",
        "bn": "দশমিকের পর {places} ঘর পর্যন্ত লেখো।",
    },
    "form_integer": {"en": "write it as a whole number.", "bn": "পূর্ণসংখ্যায় লেখো।"},
    "form_percent": {
        "en": "write it as a percentage (like 25%).",
        "bn": "শতকরায় লেখো (যেমন ২৫%)।",
    },
    "form_expanded": {
        "en": "multiply out the brackets (expand it).",
        "bn": "বন্ধনী খুলে গুণ করে লেখো (বিস্তার করো)।",
    },
    "form_factored": {
        "en": "write it as a product of factors (factorise it).",
        "bn": "উৎপাদকে বিশ্লেষণ করে লেখো।",
    },
    "form_simplified": {"en": "simplify it fully.", "bn": "সম্পূর্ণ সরল করে লেখো।"},
    "form_other": {
        "en": "write it the way the question asks.",
        "bn": "প্রশ্নে যেভাবে চাওয়া হয়েছে সেভাবে লেখো।",
    },
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
            "/progress — which topics you have mastered, and what comes next\n"
            "/settings — language, class, name and daily reminder\n"
            "/start — start again or see your streak\n"
            "/invite — a link for your parent to follow your progress\n"
            "/delete_my_data — delete everything Dars knows about you\n\n"
            "Answer a little every day to grow your 🔥 streak!"
        ),
        "bn": (
            "📚 দার্স — ৬ষ্ঠ থেকে ৮ম শ্রেণির জন্য প্রতিদিনের গণিত অনুশীলন।\n\n"
            "/practice — আজকের সমস্যা (উত্তর লিখে বা বোতামে চাপ দিয়ে দাও)\n"
            "💡 সংকেত — প্রতি সমস্যায় ৩টি পর্যন্ত সংকেত, প্রতিটিতে একটু বেশি সাহায্য\n"
            "⏭ বাদ দাও — পরের সমস্যায় যাও এবং উত্তর দেখো\n"
            "/progress — কোন কোন অধ্যায় আয়ত্ত হলো, এরপর কী\n"
            "/settings — ভাষা, শ্রেণি, নাম ও প্রতিদিনের রিমাইন্ডার\n"
            "/start — আবার শুরু করো বা ধারাবাহিকতা দেখো\n"
            "/invite — মা-বাবা যেন তোমার অগ্রগতি দেখতে পান, তার লিংক\n"
            "/delete_my_data — দার্স-এ তোমার সব তথ্য মুছে ফেলো\n\n"
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
            "Nothing you did was lost — send /practice to see where you are."
        ),
        "bn": (
            "😕 দুঃখিত, আমার দিকে একটি সমস্যা হয়েছে। তোমার কিছুই হারায়নি — কোথায় আছ দেখতে /practice পাঠাও।"
        ),
    },
    "edited_message": {
        "en": "✏️ I only read new messages. Please send your answer again as a new message.",
        "bn": "✏️ আমি শুধু নতুন বার্তা পড়ি। উত্তরটি নতুন বার্তা হিসেবে আবার পাঠাও।",
    },
    "reminder": {
        "en": "⏰ Hi {name}! Today's {count} problems are waiting for you.",
        "bn": "⏰ হাই {name}! আজকের {count}টি সমস্যা তোমার জন্য অপেক্ষা করছে।",
    },
    "reminder_streak": {
        "en": "⏰ Hi {name}! Your 🔥 {current}-day streak ends tonight unless you practise today.",
        "bn": "⏰ হাই {name}! আজ অনুশীলন না করলে তোমার 🔥 {current} দিনের ধারাবাহিকতা ভেঙে যাবে।",
    },
    # ---------------------------------------------------------------- parents
    "invite_link": {
        "en": (
            "👨‍👩‍👧 Send this link to your parent or guardian. It works once, "
            "within {hours} hours:\n{link}\n\n"
            "When they open it, they will see your streak and a weekly summary of your practice."
        ),
        "bn": (
            "👨‍👩‍👧 এই লিংকটি তোমার মা-বাবা বা অভিভাবককে পাঠাও। এটি একবারই কাজ করবে, "
            "{hours} ঘণ্টার মধ্যে:\n{link}\n\n"
            "লিংকটি খুললে তাঁরা তোমার ধারাবাহিকতা আর প্রতি সপ্তাহের অনুশীলনের সারসংক্ষেপ দেখতে পাবেন।"
        ),
    },
    "parent_linked": {
        "en": (
            "✅ You now follow {name}'s practice on Dars.\n"
            "Send /summary any time to see their progress; a weekly summary arrives every "
            "Sunday evening. /unlink stops it."
        ),
        "bn": (
            "✅ এখন থেকে আপনি দার্স-এ {name}-এর অনুশীলন দেখতে পাবেন।\n"
            "যেকোনো সময় /summary পাঠিয়ে অগ্রগতি দেখুন; প্রতি রবিবার সন্ধ্যায় একটি সাপ্তাহিক "
            "সারসংক্ষেপ আসবে। বন্ধ করতে /unlink পাঠান।"
        ),
    },
    "student_parent_linked": {
        "en": (
            "👨‍👩‍👧 A parent has linked to your progress on Dars. They can see your streak "
            "and a summary of your practice. Send /unlink to remove them."
        ),
        "bn": (
            "👨‍👩‍👧 তোমার একজন অভিভাবক দার্স-এ তোমার অগ্রগতির সাথে যুক্ত হয়েছেন। তিনি তোমার "
            "ধারাবাহিকতা আর অনুশীলনের সারসংক্ষেপ দেখতে পাবেন। সরাতে চাইলে /unlink পাঠাও।"
        ),
    },
    "parent_already_linked": {
        "en": "You already follow {name}. Send /summary to see their progress.",
        "bn": "আপনি আগে থেকেই {name}-এর অগ্রগতি দেখছেন। দেখতে /summary পাঠান।",
    },
    "link_used": {
        "en": "This link was already used. Ask your child to send /invite to Dars for a new one.",
        "bn": "এই লিংকটি আগেই ব্যবহার করা হয়েছে। নতুন লিংকের জন্য আপনার সন্তানকে দার্স-এ /invite পাঠাতে বলুন।",
    },
    "link_expired": {
        "en": "This link has expired. Ask your child to send /invite to Dars for a new one.",
        "bn": "এই লিংকের মেয়াদ শেষ হয়ে গেছে। নতুন লিংকের জন্য আপনার সন্তানকে দার্স-এ /invite পাঠাতে বলুন।",
    },
    "link_invalid": {
        "en": (
            "This link is not valid. Check that the whole link was opened, or ask for a new one."
        ),
        "bn": "এই লিংকটি সঠিক নয়। পুরো লিংকটি খোলা হয়েছে কি না দেখুন, অথবা নতুন লিংক চেয়ে নিন।",
    },
    "link_throttled": {
        "en": "Too many links that did not work. Please wait an hour and try again.",
        "bn": "অনেকবার এমন লিংক চেষ্টা করা হয়েছে যা কাজ করেনি। এক ঘণ্টা পরে আবার চেষ্টা করুন।",
    },
    "link_own": {
        "en": "This link is for your parent or guardian — send it to them. 🙂",
        "bn": "এই লিংকটি তোমার মা-বাবা বা অভিভাবকের জন্য — লিংকটি তাঁদের পাঠাও। 🙂",
    },
    "parent_welcome": {
        "en": (
            "👋 Welcome to Dars! You follow: {names}.\n"
            "/summary — their progress\n/unlink — stop following a child\n"
            "/delete_my_data — delete your data"
        ),
        "bn": (
            "👋 দার্স-এ স্বাগতম! আপনি যাদের অগ্রগতি দেখছেন: {names}।\n"
            "/summary — তাদের অগ্রগতি\n/unlink — কোনো সন্তানের অগ্রগতি আর না দেখতে\n"
            "/delete_my_data — আপনার তথ্য মুছে ফেলতে"
        ),
    },
    "summary_no_children": {
        "en": (
            "You don't follow any student yet. Ask your child to send /invite to Dars, "
            "then open the link they send you."
        ),
        "bn": (
            "আপনি এখনো কোনো শিক্ষার্থীর অগ্রগতি দেখছেন না। আপনার সন্তানকে দার্স-এ /invite "
            "পাঠাতে বলুন, তারপর সে যে লিংক পাঠাবে সেটি খুলুন।"
        ),
    },
    "summary_header": {
        "en": "📊 Progress over the last {days} days",
        "bn": "📊 গত {days} দিনের অগ্রগতি",
    },
    "weekly_summary_header": {
        "en": "📅 Your weekly summary from Dars",
        "bn": "📅 দার্স থেকে আপনার সাপ্তাহিক সারসংক্ষেপ",
    },
    "daily_summary_header": {
        "en": "🔔 Today's update from Dars",
        "bn": "🔔 দার্স থেকে আজকের খবর",
    },
    "summary_child": {
        "en": (
            "👤 {name}\n🔥 Streak: {current} days (longest {longest})\n"
            "📅 {days}  (oldest → today)\n"
            "✅ Solved: {solved} · 🎯 Accuracy: {accuracy} · 💡 Hints: {hints}"
        ),
        "bn": (
            "👤 {name}\n🔥 ধারাবাহিকতা: {current} দিন (সর্বোচ্চ {longest})\n"
            "📅 {days}  (পুরোনো → আজ)\n"
            "✅ সমাধান: {solved}টি · 🎯 সঠিকতা: {accuracy} · 💡 সংকেত: {hints}টি"
        ),
    },
    "summary_weakest": {
        "en": "📌 Needs more practice: {topic} ({accuracy} right)",
        "bn": "📌 আরও অনুশীলন দরকার: {topic} ({accuracy} সঠিক)",
    },
    "summary_legend": {
        "en": "✅ practised · ▫️ no practice",
        "bn": "✅ অনুশীলন করেছে · ▫️ করেনি",
    },
    "summary_settings": {
        "en": "Weekly summary (Sunday evening): {weekly} · Daily summary: {daily}",
        "bn": "সাপ্তাহিক সারসংক্ষেপ (রবিবার সন্ধ্যা): {weekly} · দৈনিক সারসংক্ষেপ: {daily}",
    },
    "state_on": {"en": "on", "bn": "চালু"},
    "state_off": {"en": "off", "bn": "বন্ধ"},
    "no_value": {"en": "—", "bn": "—"},
    "parent_weekly_button": {"en": "📅 Weekly: {state}", "bn": "📅 সাপ্তাহিক: {state}"},
    "parent_daily_button": {"en": "🔔 Daily: {state}", "bn": "🔔 দৈনিক: {state}"},
    "switch_language_button": {"en": "🌐 বাংলা", "bn": "🌐 English"},
    "unlink_student_confirm": {
        "en": (
            "Unlink the {count} parent(s) who follow you? They will no longer see your progress."
        ),
        "bn": "তোমার সাথে যুক্ত {count} জন অভিভাবককে সরাবে? তাঁরা আর তোমার অগ্রগতি দেখতে পাবেন না।",
    },
    "unlink_yes": {"en": "✅ Yes, unlink", "bn": "✅ হ্যাঁ, সরাও"},
    "cancel_button": {"en": "✖️ Cancel", "bn": "✖️ বাতিল"},
    "unlink_choose_child": {
        "en": "Which child do you want to stop following?",
        "bn": "কোন সন্তানের অগ্রগতি আর দেখতে চান না?",
    },
    "unlink_child_button": {"en": "✖️ {name}", "bn": "✖️ {name}"},
    "unlink_nothing": {
        "en": "Nobody is linked with you, so there is nothing to unlink.",
        "bn": "কেউ যুক্ত নেই, তাই সরানোর কিছু নেই।",
    },
    "unlink_done_student": {
        "en": "Done — no parent follows your progress any more.",
        "bn": "হয়ে গেছে — এখন আর কোনো অভিভাবক তোমার অগ্রগতি দেখবেন না।",
    },
    "unlink_done_parent": {
        "en": "Done — you no longer follow {name}.",
        "bn": "হয়ে গেছে — আপনি আর {name}-এর অগ্রগতি দেখবেন না।",
    },
    "unlink_not_linked": {
        "en": "That student is not linked with you.",
        "bn": "এই শিক্ষার্থী আপনার সাথে যুক্ত নয়।",
    },
    "cancelled": {"en": "OK, nothing was changed.", "bn": "ঠিক আছে, কিছুই বদলানো হয়নি।"},
    # ---------------------------------------------------------------- teachers and classes
    "teacher_language_saved": {
        "en": "🌐 Dars will write to you in English from now on, whatever your phone's language.",
        "bn": "🌐 এখন থেকে দার্স আপনাকে বাংলায় লিখবে, আপনার ফোনের ভাষা যা-ই হোক।",
    },
    "teacher_welcome": {
        "en": (
            "👋 Hello, teacher!\n/newclass NAME — create a class and get its join link\n"
            "/class — your classes and this week's practice\n"
            "/postsummary — send it in a group chat to post the class summary there"
        ),
        "bn": (
            "👋 স্বাগতম, শিক্ষক!\n/newclass নাম — নতুন ক্লাস তৈরি করে যোগদানের লিংক নিন\n"
            "/class — আপনার ক্লাস ও এই সপ্তাহের অনুশীলন\n"
            "/postsummary — গ্রুপ চ্যাটে পাঠালে সেখানে ক্লাসের সারসংক্ষেপ পোস্ট হবে"
        ),
    },
    "teachers_only": {
        "en": "This command is for teachers registered with Dars.",
        "bn": "এই কমান্ডটি শুধু দার্স-এ নিবন্ধিত শিক্ষকদের জন্য।",
    },
    "newclass_usage": {
        "en": "Send the class name after the command, for example: /newclass 7B Maths",
        "bn": "কমান্ডের পরে ক্লাসের নাম লিখুন, যেমন: /newclass সপ্তম-খ গণিত",
    },
    "class_created": {
        "en": (
            "🏫 Class “{name}” is ready.\nShare this link with your students — the whole "
            "class can use it for {days} days:\n{link}\n"
            "Each student opens it and taps Join. Send /class to see their progress."
        ),
        "bn": (
            "🏫 “{name}” ক্লাস তৈরি হয়েছে।\nলিংকটি শিক্ষার্থীদের সাথে শেয়ার করুন — পুরো ক্লাস "
            "{days} দিন এটি ব্যবহার করতে পারবে:\n{link}\n"
            "প্রত্যেক শিক্ষার্থী লিংক খুলে “যোগ দাও” চাপবে। অগ্রগতি দেখতে /class পাঠান।"
        ),
    },
    "class_link": {
        "en": "🔗 New join link for “{name}”, valid for {days} days:\n{link}",
        "bn": "🔗 “{name}” ক্লাসের নতুন যোগদানের লিংক, {days} দিন কাজ করবে:\n{link}",
    },
    "class_join_prompt": {
        "en": (
            "🏫 Join the class “{name}” on Dars?\nYour teacher will see your name, your streak "
            "and how much you practise each week, and may share the class summary (names and "
            "streaks) in the class group."
        ),
        "bn": (
            "🏫 দার্স-এ “{name}” ক্লাসে যোগ দেবে?\nতোমার শিক্ষক তোমার নাম, ধারাবাহিকতা আর প্রতি "
            "সপ্তাহে কতটা অনুশীলন করো তা দেখতে পাবেন, এবং ক্লাসের গ্রুপে ক্লাসের সারসংক্ষেপ "
            "(নাম ও ধারাবাহিকতা) জানাতে পারেন।"
        ),
    },
    "join_button": {"en": "✅ Join", "bn": "✅ যোগ দাও"},
    "class_joined": {
        "en": "✅ You joined “{name}”. Keep practising every day!",
        "bn": "✅ তুমি “{name}” ক্লাসে যোগ দিয়েছ। প্রতিদিন অনুশীলন চালিয়ে যাও!",
    },
    "class_already_member": {
        "en": "You are already in “{name}”.",
        "bn": "তুমি আগে থেকেই “{name}” ক্লাসে আছ।",
    },
    "class_need_student": {
        "en": (
            "To join a class, first send /start and finish setting up Dars, "
            "then open the class link again."
        ),
        "bn": "ক্লাসে যোগ দিতে আগে /start পাঠিয়ে দার্স সেটআপ শেষ করো, তারপর ক্লাসের লিংকটি আবার খোলো।",
    },
    "class_link_invalid": {
        "en": "This class link is not valid. Please ask your teacher for the link again.",
        "bn": "এই ক্লাসের লিংকটি সঠিক নয়। শিক্ষকের কাছ থেকে লিংকটি আবার চেয়ে নাও।",
    },
    "class_link_expired": {
        "en": "This class link has expired. Please ask your teacher for a new one.",
        "bn": "এই ক্লাসের লিংকের মেয়াদ শেষ। শিক্ষকের কাছ থেকে নতুন লিংক চেয়ে নাও।",
    },
    "class_none": {
        "en": "You have no classes yet. Create one with /newclass NAME.",
        "bn": "আপনার এখনো কোনো ক্লাস নেই। /newclass নাম পাঠিয়ে একটি তৈরি করুন।",
    },
    "class_report_header": {
        "en": "🏫 {name} · students: {count} · this week",
        "bn": "🏫 {name} · শিক্ষার্থী: {count} জন · এই সপ্তাহ",
    },
    "class_report_legend": {
        "en": "🔥 streak · 📅 days practised this week · ✅ problems solved",
        "bn": "🔥 ধারাবাহিকতা · 📅 এই সপ্তাহে অনুশীলনের দিন · ✅ সমাধান করা সমস্যা",
    },
    "class_report_line": {
        "en": "{name} — 🔥{current} · 📅{days}/7 · ✅{solved}",
        "bn": "{name} — 🔥{current} · 📅{days}/৭ · ✅{solved}",
    },
    "class_report_empty": {
        "en": "No students yet — share the join link.",
        "bn": "এখনো কোনো শিক্ষার্থী নেই — যোগদানের লিংকটি শেয়ার করুন।",
    },
    "class_link_button": {"en": "🔗 New link: {name}", "bn": "🔗 নতুন লিংক: {name}"},
    "weekly_class_header": {
        "en": "📅 Weekly class summary from Dars",
        "bn": "📅 দার্স থেকে ক্লাসের সাপ্তাহিক সারসংক্ষেপ",
    },
    "postsummary_private": {
        "en": (
            "Send /postsummary in your class's group chat (add me to the group first). "
            "I will post the class summary there, and again every Sunday evening."
        ),
        "bn": (
            "ক্লাসের গ্রুপ চ্যাটে /postsummary পাঠান (আগে আমাকে গ্রুপে যোগ করুন)। "
            "আমি সেখানে ক্লাসের সারসংক্ষেপ পোস্ট করব, আর প্রতি রবিবার সন্ধ্যায় আবার করব।"
        ),
    },
    "postsummary_choose": {
        "en": "You have several classes. Send /postsummary followed by one of: {names}",
        "bn": "আপনার কয়েকটি ক্লাস আছে। /postsummary-এর পরে এগুলোর একটির নাম লিখুন: {names}",
    },
    "postsummary_not_found": {
        "en": "None of your classes is called “{name}”. Your classes: {names}",
        "bn": "“{name}” নামে আপনার কোনো ক্লাস নেই। আপনার ক্লাস: {names}",
    },
    # ---------------------------------------------------------------- operators
    "addteacher_usage": {
        "en": "Usage: /addteacher TELEGRAM_ID",
        "bn": "ব্যবহার: /addteacher TELEGRAM_ID",
    },
    "addteacher_done": {"en": "✅ {id} is now a teacher.", "bn": "✅ {id} এখন একজন শিক্ষক।"},
    "addteacher_exists": {"en": "{id} is already a teacher.", "bn": "{id} আগে থেকেই শিক্ষক।"},
    "stats": {
        "en": (
            "📈 Dars\n"
            "Students: {students} · parents: {parents} · teachers: {teachers}\n"
            "Active today: {active_today} · this week: {active_week}\n"
            "Sessions completed: {sessions} (today {sessions_today})\n"
            "Accuracy: {accuracy} of {answers} answers\n"
            "Reminders sent: {reminders} (today {reminders_today})\n"
            "LLM cost today (UTC): ${cost}"
        ),
        "bn": (
            "📈 দার্স\n"
            "শিক্ষার্থী: {students} · অভিভাবক: {parents} · শিক্ষক: {teachers}\n"
            "আজ সক্রিয়: {active_today} · এই সপ্তাহে: {active_week}\n"
            "সম্পন্ন অনুশীলন: {sessions} (আজ {sessions_today})\n"
            "সঠিকতা: {answers}টি উত্তরের {accuracy}\n"
            "পাঠানো রিমাইন্ডার: {reminders} (আজ {reminders_today})\n"
            "আজকের LLM খরচ (UTC): ${cost}"
        ),
    },
    # ---------------------------------------------------------------- privacy
    "delete_confirm_student": {
        "en": (
            "🗑 This deletes your name, settings, streak and your links to parents and classes. "
            "Whether your answers were right stays for statistics, without your name or what you "
            "typed. This cannot be undone. "
            "Delete your data?"
        ),
        "bn": (
            "🗑 এতে তোমার নাম, সেটিংস, ধারাবাহিকতা এবং অভিভাবক ও ক্লাসের সাথে সংযোগ মুছে যাবে। "
            "পরিসংখ্যানের জন্য শুধু তোমার উত্তর ঠিক না ভুল ছিল তা থেকে যাবে — তোমার নাম বা "
            "তুমি যা লিখেছিলে তা নয়। এটি আর ফেরানো যাবে না। "
            "তোমার তথ্য মুছে ফেলবে?"
        ),
    },
    "delete_confirm_parent": {
        "en": (
            "🗑 This deletes your parent account and your links to the children you follow. "
            "This cannot be undone. Delete your data?"
        ),
        "bn": (
            "🗑 এতে আপনার অভিভাবক অ্যাকাউন্ট এবং সন্তানদের সাথে সংযোগ মুছে যাবে। "
            "এটি আর ফেরানো যাবে না। আপনার তথ্য মুছে ফেলবেন?"
        ),
    },
    "delete_yes": {"en": "🗑 Yes, delete", "bn": "🗑 হ্যাঁ, মুছে ফেলা হোক"},
    "delete_confirm_teacher": {
        "en": (
            "🗑 This deletes your teacher account, your classes and their join links. "
            "This cannot be undone. Delete your data?"
        ),
        "bn": (
            "🗑 এতে আপনার শিক্ষক অ্যাকাউন্ট, আপনার ক্লাস এবং সেগুলোর যোগদানের লিংক মুছে যাবে। "
            "এটি আর ফেরানো যাবে না। আপনার তথ্য মুছে ফেলবেন?"
        ),
    },
    "delete_nothing": {
        "en": "I don't keep any data about you.",
        "bn": "আমার কাছে এই অ্যাকাউন্টের কোনো তথ্য নেই।",
    },
    "delete_done_student": {
        "en": (
            "✅ Done — your data has been deleted. Send /start whenever you want to begin again."
        ),
        "bn": "✅ হয়ে গেছে — তোমার তথ্য মুছে ফেলা হয়েছে। আবার শুরু করতে চাইলে যেকোনো সময় /start পাঠাও।",
    },
    "delete_done_parent": {
        "en": "✅ Done — your data has been deleted.",
        "bn": "✅ হয়ে গেছে — আপনার তথ্য মুছে ফেলা হয়েছে।",
    },
    "cost_summary": {
        "en": (
            "💵 Language model spending (UTC)\nToday: ${today}\nLast 7 days: ${week}\n"
            "This month: ${month}\nDaily budget: ${budget}"
        ),
        "bn": (
            "💵 ভাষা মডেলের খরচ (UTC)\nআজ: ${today}\nগত ৭ দিন: ${week}\n"
            "এই মাস: ${month}\nদৈনিক বাজেট: ${budget}"
        ),
    },
    # ---------------------------------------------------------------- names refused
    "name_refused_link": {
        "en": (
            "That name looks like a link or a mention (it has @, / or a web address). "
            "Please send just your name, for example Mitu or মিতু."
        ),
        "bn": (
            "নামটি লিংক বা মেনশনের মতো দেখাচ্ছে (এতে @, / বা ওয়েব ঠিকানা আছে)। "
            "শুধু তোমার নামটি পাঠাও, যেমন মিতু বা Mitu।"
        ),
    },
    "name_refused_letters": {
        "en": (
            "Some letters in that name are hidden or come from another alphabet. Please type "
            "your name again with your keyboard, in English or Bengali letters."
        ),
        "bn": (
            "নামটির কিছু অক্ষর অদৃশ্য বা অন্য বর্ণমালার। তোমার কিবোর্ড দিয়ে বাংলা বা ইংরেজি "
            "অক্ষরে নামটি আবার লিখে পাঠাও।"
        ),
    },
    "class_name_refused": {
        "en": (
            "That class name can't be used: please send a short name without links, "
            "@mentions, slashes or hidden letters. For example: /newclass 7B Maths"
        ),
        "bn": (
            "এই ক্লাসের নামটি ব্যবহার করা যাবে না: লিংক, @মেনশন, স্ল্যাশ বা অদৃশ্য অক্ষর ছাড়া "
            "একটি ছোট নাম দিন। যেমন: /newclass সপ্তম-খ গণিত"
        ),
    },
    "cmd_invite": {"en": "A link for your parent", "bn": "অভিভাবকের জন্য লিংক"},
    "cmd_summary": {"en": "Your children's progress", "bn": "সন্তানের অগ্রগতি"},
    "cmd_unlink": {"en": "Remove a parent link", "bn": "অভিভাবকের সংযোগ সরাও"},
    "cmd_delete_my_data": {"en": "Delete your data", "bn": "তোমার তথ্য মুছে ফেলো"},
    "cmd_start": {"en": "Start or see your streak", "bn": "শুরু করো বা ধারাবাহিকতা দেখো"},
    "cmd_practice": {"en": "Today's problems", "bn": "আজকের সমস্যা"},
    "cmd_settings": {"en": "Language, class, name, reminder", "bn": "ভাষা, শ্রেণি, নাম, রিমাইন্ডার"},
    "cmd_help": {"en": "How Dars works", "bn": "দার্স কীভাবে কাজ করে"},
    # ---- mastery: /progress, levels, placement (issue 20)
    "cmd_progress": {"en": "What you have mastered", "bn": "কী কী আয়ত্ত হলো"},
    "progress_header": {
        "en": "📈 Your progress · {grade}",
        "bn": "📈 তোমার অগ্রগতি · {grade}",
    },
    "progress_counts": {
        "en": "✅ {mastered} mastered · 🟢 {familiar} familiar · 🟡 {practising} practising · "
        "⚪ {not_started} not started",
        "bn": "✅ {mastered}টি আয়ত্ত হয়েছে · 🟢 {familiar}টি পরিচিত · "
        "🟡 {practising}টিতে অনুশীলন চলছে · ⚪ {not_started}টি শুরু হয়নি",
    },
    "progress_week": {
        "en": "📅 Solved this week: {solved}",
        "bn": "📅 এই সপ্তাহে সমাধান করেছ: {solved}টি",
    },
    "progress_next": {"en": "👉 Next: {topics}", "bn": "👉 এরপর: {topics}"},
    "progress_all_done": {
        "en": "🎉 Every topic of your class is mastered! Reviews keep it fresh.",
        "bn": "🎉 তোমার শ্রেণির সব অধ্যায় আয়ত্ত হয়েছে! মাঝে মাঝে পুনরালোচনা করলে মনে থাকবে।",
    },
    "level_not_started": {"en": "not started", "bn": "শুরু হয়নি"},
    "level_practising": {"en": "practising", "bn": "অনুশীলন চলছে"},
    "level_familiar": {"en": "familiar", "bn": "পরিচিত"},
    "level_mastered": {"en": "mastered", "bn": "আয়ত্ত হয়েছে"},
    "placement_offer": {
        "en": "📝 Already know some of it? A short check (up to {count} problems) finds where "
        "you stand, so you don't start with what you know. Or start practising now: you can "
        "take the check any time from /settings.",
        "bn": "📝 কিছু অধ্যায় কি আগেই জানো? ছোট একটি যাচাই ({count}টি পর্যন্ত সমস্যা) দেখে নেবে "
        "তুমি কোথায় আছ, যাতে জানা জিনিস দিয়ে শুরু করতে না হয়। চাইলে এখনই অনুশীলন শুরু করো: "
        "যাচাইটি পরে /settings থেকে যেকোনো সময় দিতে পারবে।",
    },
    "placement_start_button": {"en": "📝 Take the check", "bn": "📝 যাচাই শুরু করো"},
    "placement_skip_button": {"en": "⏭ Not now", "bn": "⏭ এখন না"},
    "set_placement_button": {"en": "📝 Placement check", "bn": "📝 দক্ষতা যাচাই"},
    "placement_header": {
        "en": "📝 Check {number} of up to {total} · {topic}",
        "bn": "📝 যাচাই {number}/{total} · {topic}",
    },
    "placement_right": {"en": "✅ Right!", "bn": "✅ সঠিক!"},
    "placement_wrong": {"en": "Noted.", "bn": "ঠিক আছে, বুঝেছি।"},
    "placement_done": {
        "en": "✅ Check done! You already know {known} topics of your class: they will come back "
        "now and then for a quick review. We start with: {topic}.",
        "bn": "✅ যাচাই শেষ! তোমার শ্রেণির {known}টি অধ্যায় তুমি আগেই জানো: মাঝে মাঝে দ্রুত "
        "পুনরালোচনার জন্য সেগুলো আবার আসবে। আমরা শুরু করছি: {topic}।",
    },
    "placement_done_start": {
        "en": "✅ Check done! We start from the beginning of your class's syllabus: {topic}.",
        "bn": "✅ যাচাই শেষ! আমরা তোমার শ্রেণির পাঠ্যসূচির শুরু থেকে অনুশীলন করব: {topic}।",
    },
    "placement_done_all": {
        "en": "✅ Check done! You seem to know every topic of your class: practice will review "
        "them all.",
        "bn": "✅ যাচাই শেষ! মনে হচ্ছে তোমার শ্রেণির সব অধ্যায়ই তুমি জানো: অনুশীলনে সবগুলো পুনরালোচনা হবে।",
    },
    "placement_skipped": {
        "en": "👍 No check now. You can take it any time from /settings.",
        "bn": "👍 এখন যাচাই হবে না। /settings থেকে যেকোনো সময় দিতে পারবে।",
    },
    "summary_topics": {
        "en": "📚 Topics of the class: {counts}",
        "bn": "📚 শ্রেণির অধ্যায়: {counts}",
    },
    "class_mastery_legend": {
        "en": "📚 topics in syllabus order: ✅ mastered · 🟢 familiar · 🟡 practising · "
        "⚪ not started",
        "bn": "📚 পাঠ্যসূচির ক্রমে অধ্যায়: ✅ আয়ত্ত হয়েছে · 🟢 পরিচিত · 🟡 অনুশীলন চলছে · ⚪ শুরু হয়নি",
    },
    "progress_topics_more": {
        "en": "…and {count} more not started",
        "bn": "…আরও {count}টি অধ্যায় শুরু হয়নি",
    },
    # Flood control (bot/app.py): said once when a user sends faster than anyone can read.
    "slow_down": {
        "en": "🐢 Slow down, please! Wait a few seconds, then send your message again.",
        "bn": "🐢 একটু আস্তে! কয়েক সেকেন্ড অপেক্ষা করো, তারপর আবার পাঠাও।",
    },
    # --- ops21 branch ---
    # Operators (bot/handlers/operator.py): /teachers lists and removes teachers. Telegram ids
    # are shown as typed (Latin digits), like /addteacher's.
    "teachers_usage": {
        "en": "Usage: /teachers, or /teachers remove TELEGRAM_ID",
        "bn": "ব্যবহার: /teachers, অথবা /teachers remove TELEGRAM_ID",
    },
    "teachers_none": {
        "en": "No teachers yet. Add one with /addteacher TELEGRAM_ID.",
        "bn": "এখনো কোনো শিক্ষক নেই। /addteacher TELEGRAM_ID দিয়ে যোগ করুন।",
    },
    "teachers_header": {"en": "👩‍🏫 Teachers: {count}", "bn": "👩‍🏫 শিক্ষক: {count} জন"},
    "teachers_line": {
        "en": "{id} · classes: {classes} · students: {students}",
        "bn": "{id} · ক্লাস: {classes}টি · শিক্ষার্থী: {students} জন",
    },
    "teachers_footer": {
        "en": "To remove a teacher, tap their id below or send /teachers remove TELEGRAM_ID.",
        "bn": "কোনো শিক্ষককে সরাতে নিচে তাঁর আইডিতে চাপ দিন, অথবা পাঠান /teachers remove TELEGRAM_ID।",
    },
    "teachers_remove_button": {"en": "🗑 {id}", "bn": "🗑 {id}"},
    "teachers_confirm": {
        "en": "Remove teacher {id}? Classes deleted with them: {classes} (students in them: "
        "{students}). The students keep their own accounts, progress and parents.",
        "bn": "শিক্ষক {id}-কে সরাবেন? তাঁর সঙ্গে মুছে যাবে {classes}টি ক্লাস (সেগুলোতে "
        "শিক্ষার্থী {students} জন)। শিক্ষার্থীদের নিজেদের অ্যাকাউন্ট, অগ্রগতি ও অভিভাবক থাকবে।",
    },
    "teachers_confirm_button": {"en": "🗑 Yes, remove", "bn": "🗑 হ্যাঁ, সরান"},
    "teachers_removed": {
        "en": "✅ {id} is no longer a teacher.",
        "bn": "✅ {id} এখন আর শিক্ষক নন।",
    },
    "teachers_not_found": {"en": "{id} is not a teacher.", "bn": "{id} শিক্ষক নন।"},
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


def topic_name(lang: str, topic: str, names: dict[str, str] | None = None) -> str:
    """A topic's human name: as the bank named it (``names``), else a known one, else its
    slug written as words."""
    known = names or TOPICS.get(topic)
    if known and known.get(lang):
        return known[lang]
    return topic.replace("_", " ").replace("-", " ").capitalize()
