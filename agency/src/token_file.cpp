#include "lottery/agency/token_file.h"

#include "lottery/protocol/limits.h"
#include "lottery/protocol/utf8.h"

#include <QCoreApplication>
#include <QFile>

namespace lottery::agency {

namespace {

constexpr const char *kContext = "lottery::agency::TokenFile";

// `why` is a QT_TRANSLATE_NOOP source: English for the log line, translated for the person.
TokenResult refuse(const QString &origin, const QString &userOrigin, const char *why,
    const QStringList &arguments = {})
{
    QString english = QString::fromUtf8(why);
    QString local = QCoreApplication::translate(kContext, why);
    for (const QString &argument : arguments) {
        english = english.arg(argument);
        local = local.arg(argument);
    }
    return TokenResult {false, {}, QStringLiteral("%1: %2").arg(origin, english),
        QStringLiteral("%1: %2").arg(userOrigin, local)};
}

} // namespace

TokenResult checkToken(const QByteArray &bytes, const QString &origin, const QString &userOrigin)
{
    const QString shownOrigin = userOrigin.isNull() ? origin : userOrigin;
    if (bytes.isEmpty())
        return refuse(origin, shownOrigin,
            QT_TRANSLATE_NOOP("lottery::agency::TokenFile", "the token is empty"));
    if (static_cast<std::size_t>(bytes.size()) > protocol::kMaxTextBytes)
        return refuse(origin, shownOrigin,
            QT_TRANSLATE_NOOP(
                "lottery::agency::TokenFile", "the token is longer than %1 bytes (%2)"),
            {QString::number(protocol::kMaxTextBytes), QString::number(bytes.size())});
    if (!protocol::isValidUtf8(std::string_view(bytes.constData(), bytes.size())))
        return refuse(origin, shownOrigin,
            QT_TRANSLATE_NOOP("lottery::agency::TokenFile", "the token is not valid UTF-8"));
    const QString token = QString::fromUtf8(bytes);
    for (qsizetype i = 0; i < token.size(); ++i) {
        const QChar c = token.at(i);
        const bool lineBreak = c.category() == QChar::Separator_Line
            || c.category() == QChar::Separator_Paragraph; // U+2028, U+2029: a second line
        if ((!c.isPrint() && !c.isSurrogate()) || lineBreak)
            return refuse(origin, shownOrigin,
                QT_TRANSLATE_NOOP("lottery::agency::TokenFile",
                    "the token holds a non-printable character (U+%1) at character %2"),
                {QString::number(c.unicode(), 16).toUpper().rightJustified(4, QLatin1Char('0')),
                    QString::number(i + 1)});
    }
    if (token.front().isSpace() || token.back().isSpace())
        return refuse(origin, shownOrigin,
            QT_TRANSLATE_NOOP(
                "lottery::agency::TokenFile", "the token has leading or trailing white space"));
    return TokenResult {true, token, {}, {}};
}

TokenResult readTokenFile(const QString &path)
{
    const QString origin = QStringLiteral("token file '%1'").arg(path);
    const QString userOrigin
        = QCoreApplication::translate("lottery::agency::TokenFile", "token file '%1'").arg(path);
    QFile file(path);
    const auto unreadable = [&] {
        return TokenResult {false, {}, QStringLiteral("%1: %2").arg(origin, file.errorString()),
            QStringLiteral("%1: %2").arg(userOrigin, file.errorString())};
    };
    if (!file.open(QIODevice::ReadOnly))
        return unreadable();
    // A little more than the limit, to tell "too long" from "exactly at the limit plus newline".
    QByteArray bytes = file.read(static_cast<qint64>(protocol::kMaxTextBytes) + 3);
    if (file.error() != QFileDevice::NoError)
        return unreadable();
    if (bytes.endsWith('\n'))
        bytes.chop(bytes.endsWith("\r\n") ? 2 : 1);
    return checkToken(bytes, origin, userOrigin);
}

} // namespace lottery::agency
