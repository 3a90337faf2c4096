"""Per-language tables of the words mail clients write around a forwarded or quoted message."""

from __future__ import annotations

import re

# Header names clients print above a quoted/forwarded message, by field, in the languages of
# Gmail, Outlook (desktop/web/mobile), Apple Mail, Thunderbird, Yahoo, HubSpot and others.
HEADER_WORDS: dict[str, tuple[str, ...]] = {
    "from": (
        "From",
        "Van",
        "De",
        "De la",
        "Von",
        "Od",
        "Fra",
        "Från",
        "Da",
        "Mittente",
        "Lähettäjä",
        "Feladó",
        "Šalje",
        "Expeditorul",
        "Отправитель",
        "От кого",
        "От",
        "Від",
        "Від кого",
        "Gönderen",
        "Kimden",
        "Nadawca",
        "Saatja",
        "送信元",
        "差出人",
        "发件人",
        "寄件者",
        "Afzender",
        "Absender",
        "Remitente",
        "Expéditeur",
        "Avsändare",
        "Afsender",
        "Lähettäjä",
        "Αποστολέας",
        "Người gửi",
        "Từ",
        "Pengirim",
        "Dari",
        "보낸 사람",
        "Odesílatel",
    ),
    "date": (
        "Date",
        "Datum",
        "Dato",
        "Data",
        "Fecha",
        "Päivämäärä",
        "Päiväys",
        "Dátum",
        "Dată",
        "Дата",
        "Tarih",
        "日付",
        "Sent",
        "Gesendet",
        "Verzonden",
        "Envoyé",
        "Enviado",
        "Inviato",
        "Sendt",
        "Skickat",
        "Wysłano",
        "Odesláno",
        "Odoslané",
        "Elküldve",
        "Lähetetty",
        "Trimis",
        "Отправлено",
        "Відправлено",
        "Gönderilen",
        "Gönderildi",
        "Poslano",
        "送信日時",
        "发送时间",
        "日期",
        "Ngày",
        "Tanggal",
        "Terkirim",
        "보낸 날짜",
        "Sent at",
        "Datum odeslání",
    ),
    "subject": (
        "Subject",
        "Betreff",
        "Onderwerp",
        "Objet",
        "Sujet",
        "Asunto",
        "Assunto",
        "Oggetto",
        "Emne",
        "Ämne",
        "Aihe",
        "Tárgy",
        "Předmět",
        "Predmet",
        "Temat",
        "Тема",
        "Konu",
        "Subiect",
        "Subiectul",
        "Naslov",
        "件名",
        "主题",
        "主旨",
        "Chủ đề",
        "Perihal",
        "Subjek",
        "제목",
        "Θέμα",
    ),
    "to": (
        "To",
        "An",
        "Aan",
        "À",
        "A",
        "Para",
        "Pour",
        "Til",
        "Till",
        "Do",
        "Komu",
        "Kime",
        "Кому",
        "Címzett",
        "Vastaanottaja",
        "Prima",
        "Către",
        "Destinatarul",
        "Adresat",
        "Pre",
        "送信先",
        "宛先",
        "收件人",
        "Đến",
        "Kepada",
        "받는 사람",
        "Προς",
        "Empfänger",
        "Destinataire",
    ),
    "cc": (
        "Cc",
        "Kopie",
        "Kopie (CC)",
        "Kopi",
        "Kopia",
        "Kopio",
        "Kópia",
        "Копия",
        "Копія",
        "Másolat",
        "Másolatot kap",
        "Bilgi",
        "DW",
        "Copie à",
        "Copia",
        "CC",
        "抄送",
        "副本",
        "Kopie an",
        "Kopie aan",
        "Bcc",
        "Blindkopie",
        "Copie",
    ),
    "reply_to": (
        "Reply-To",
        "Reply To",
        "Antwort an",
        "Antworten an",
        "Responder a",
        "Répondre à",
        "Rispondi a",
        "Svar till",
        "Svar til",
        "Antwoord aan",
        "Odpowiedź do",
    ),
}

# Yahoo writes a forward's headers on one line; two of its translations drop the colon.
COLONLESS_WORDS: dict[str, str] = {"Dw": "cc", "Assunto": "subject"}

_FIELD_BY_WORD = {w.casefold(): f for f, words in HEADER_WORDS.items() for w in words}


def field_for(word: str) -> str | None:
    """Return the canonical field ("from", "date", ...) a header word stands for, or None."""
    return _FIELD_BY_WORD.get(" ".join(word.split()).casefold())


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(set(words), key=len, reverse=True))


ALL_WORDS = _alternation([w for words in HEADER_WORDS.values() for w in words])

# One header line of a quoted block: optional quote marks, optional *bold*, word, colon, value.
HEADER_LINE = re.compile(
    r"^[ \t]*(?:>[ \t]?)*[ \t]*\*{0,2}(?P<key>"
    + ALL_WORDS
    + r")\*{0,2}[ \t\xa0\u202f]*[:：][ \t\xa0\u202f]*\*{0,2}[ \t]*(?P<value>.*)$",
    re.IGNORECASE,
)
# The same words, found anywhere in a Yahoo one-line header run (case-sensitive on purpose: the
# run glues values to the next key, and capitals are what tell them apart).
INLINE_KEY = re.compile(
    r"(?P<key>" + _alternation([w for words in HEADER_WORDS.values() for w in words]) + r")[ \t\xa0\u202f]*[:：]"
    r"|(?P<bare>(?:" + "|".join(COLONLESS_WORDS) + r"))[ \t]"
)

# Lines that open a forwarded message, in every language the clients above use.
_FORWARD_PHRASES = (
    r"Forwarded message",
    r"Forwarded Message",
    r"Original Message",
    r"Mensaje reenviado",
    r"Message transféré",
    r"Message transmis",
    r"Weitergeleitete Nachricht",
    r"Messaggio inoltrato",
    r"Doorgestuurd bericht",
    r"Wiadomość przesłana dalej",
    r"Przekazana wiadomość",
    r"Mensagem encaminhada",
    r"Mensagem reencaminhada",
    r"Vidarebefordrat meddelande",
    r"Videresendt meddelelse",
    r"Videresendt melding",
    r"Edelleenlähetetty viesti",
    r"Välitetty viesti(?: / Fwd\.Msg)?",
    r"Přeposlaná zpráva",
    r"Preposlaná správa(?: --- Forwarded Message)?",
    r"Továbbított üzenet",
    r"Proslijeđena poruka",
    r"Mesaj redirecționat",
    r"Перенаправленное сообщение",
    r"Пересылаемое сообщение",
    r"Переслане повідомлення",
    r"Перенаправлене повідомлення",
    r"İletilen İleti",
    r"İletilmiş Mesaj",
    r"Treść przekazanej wiadomości",
    r"メッセージを転送",
    r"转发的邮件",
    r"原始邮件",
    r"Ursprüngliche Nachricht",
    r"Oorspronkelijk bericht",
    r"Oprindelig meddelelse",
    r"Opprinnelig melding",
    r"Ursprungligt meddelande",
    r"Alkuperäinen viesti",
    r"Mensaje original",
    r"Message d'origine",
    r"Messaggio originale",
    r"Mensagem original",
    r"Původní zpráva",
    r"Pôvodná správa",
    r"Eredeti üzenet",
    r"Oryginalna wiadomość",
    r"Исходное сообщение",
    r"Mesaj original",
    r"Orijinal Mesaj",
    r"Izvorna poruka",
    r"Reply message",
    r"Antwort Nachricht",
)
FORWARD_SEPARATOR = re.compile(
    r"^[ \t]*(?:>[ \t]?)*[ \t]*-{2,}[ \t]*(?:" + "|".join(_FORWARD_PHRASES) + r")[ \t]*-{2,}[ \t]*",
    re.IGNORECASE,
)
# Apple Mail / MailMate / Outlook-web style openers that end with a colon instead of dashes.
FORWARD_INTRO = re.compile(
    r"^[ \t]*(?:>[ \t]?)*[ \t]*(?:Begin forwarded message|Forwarded message|Začátek přeposílané zprávy"
    r"|Start på videresendt besked|Anfang der weitergeleiteten Nachricht|Inicio del mensaje reenviado"
    r"|Välitetty viesti alkaa|Début du message réexpédié|Započni proslijeđenu poruku"
    r"|Továbbított levél kezdete|Inizio messaggio inoltrato|Begin doorgestuurd bericht"
    r"|Videresendt melding|Początek przekazywanej wiadomości|Início da mensagem reencaminhada"
    r"|Início da mensagem encaminhada|Începe mesajul redirecționat|Начало переадресованного сообщения"
    r"|Začiatok preposlanej správy|Vidarebefordrat mejl|İleti başlangıcı"
    r"|Початок листа, що пересилається|Message transféré|Mensaje reenviado)[ \t]*[:：][ \t]*$",
    re.IGNORECASE,
)
# Outlook web/mobile put a rule of underscores above the header block.
RULE_LINE = re.compile(r"^[ \t]*(?:>[ \t]?)*[ \t]*(?:_{8,}|-{10,})[ \t]*$")

# "On <date>, <someone> wrote:" in the languages Outlook, Gmail and Apple Mail use.
WROTE_VERBS = (
    r"wrote|sent|a écrit|écrit|schrieb|hat geschrieben|escribió|ha scritto|scrisse|geschreven"
    r"|schreef|skrev(?: følgende)?|kirjoitti|napsal\(a\)|napsal|napisał\(a\)|napisał|napísal"
    r"|escreveu|написал\(а\)|написал|написав|пише|ezt írta|írta|şunu yazdı|yazdı|a scris"
    r"|je napisao|napisao|写道|寫道|님이 작성|έγραψε|đã viết|menulis"
)
WROTE_INTRO_WORDS = (
    "On",
    "Le",
    "Am",
    "El",
    "Dne",
    "D.",
    "Il giorno",
    "Il",
    "Op",
    "Em",
    "Den",
    "Dnia",
    "W dniu",
    "Pe",
    "В",
    "У",
    "Στις",
    "Vào",
    "Pada",
)
WROTE_CONNECTORS = (
    "heeft",
    "időpontban",
    "používateľ",
    "użytkownik",
    "пользователь",
    "користувач",
    "skrev",
    "tarihinde",
    "följande",
    "den",
    "at",
    "um",
    "à",
    "a las",
    "alle",
    "om",
    "kl.",
    "o",
    "в",
)

# Subject prefixes that mark a forward, and those that mark a reply.
FORWARD_PREFIX = (
    r"Fwd?|FW|Fwd|TR|WG|RV|VS|Vs|VL|VB|I|ENC|PD|İLT|ILT|Videresend|Redir\.?|Doorst|Továbbítás"
    r"|Rif|Wtf|Pd|Přeposlat|转发|轉寄|転送|Trans|Reenviar|Fwd\.?"
)
REPLY_PREFIX = (
    r"Re|RE|Aw|AW|Antw|Antwort|SV|Sv|Odp|Odg|Ynt|YNT|Vá|Răsp|RES|Res|R|Rif|Ref|Απ|ΑΠ|Отв|Від"
    r"|回复|回覆|答复|返信|Re\[\d+\]"
)
