#include "lottery/agency/token_file.h"

#include "lottery/protocol/limits.h"
#include "lottery/protocol/utf8.h"

#include <QFile>

namespace lottery::agency {

TokenResult checkToken(const QByteArray &bytes, const QString &origin)
{
    const auto refuse = [&origin](const QString &why) {
        return TokenResult {false, {}, QStringLiteral("%1: %2").arg(origin, why)};
    };
    if (bytes.isEmpty())
        return refuse(QStringLiteral("the token is empty"));
    if (static_cast<std::size_t>(bytes.size()) > protocol::kMaxTextBytes)
        return refuse(QStringLiteral("the token is longer than %1 bytes (%2)")
                          .arg(protocol::kMaxTextBytes)
                          .arg(bytes.size()));
    if (!protocol::isValidUtf8(std::string_view(bytes.constData(), bytes.size())))
        return refuse(QStringLiteral("the token is not valid UTF-8"));
    const QString token = QString::fromUtf8(bytes);
    for (qsizetype i = 0; i < token.size(); ++i) {
        const QChar c = token.at(i);
        const bool lineBreak = c.category() == QChar::Separator_Line
            || c.category() == QChar::Separator_Paragraph; // U+2028, U+2029: a second line
        if ((!c.isPrint() && !c.isSurrogate()) || lineBreak)
            return refuse(QStringLiteral("the token holds a non-printable character (U+%1) at "
                                         "character %2")
                              .arg(QString::number(c.unicode(), 16)
                                       .toUpper()
                                       .rightJustified(4, QLatin1Char('0')))
                              .arg(i + 1));
    }
    if (token.front().isSpace() || token.back().isSpace())
        return refuse(QStringLiteral("the token has leading or trailing white space"));
    return TokenResult {true, token, {}};
}

TokenResult readTokenFile(const QString &path)
{
    const QString origin = QStringLiteral("token file '%1'").arg(path);
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return TokenResult {false, {}, QStringLiteral("%1: %2").arg(origin, file.errorString())};
    // A little more than the limit, to tell "too long" from "exactly at the limit plus newline".
    QByteArray bytes = file.read(static_cast<qint64>(protocol::kMaxTextBytes) + 3);
    if (file.error() != QFileDevice::NoError)
        return TokenResult {false, {}, QStringLiteral("%1: %2").arg(origin, file.errorString())};
    if (bytes.endsWith('\n'))
        bytes.chop(bytes.endsWith("\r\n") ? 2 : 1);
    return checkToken(bytes, origin);
}

} // namespace lottery::agency
