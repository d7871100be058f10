#include "lottery/agency/server_address.h"

#include <QCoreApplication>
#include <QStringList>

namespace lottery::agency {

namespace {

constexpr const char *kContext = "lottery::agency::ServerAddress";

// Sets `error` (English, for log lines) and `userError` (the person's language) from one
// QT_TRANSLATE_NOOP source, "bad server address '<text>': <why>".
void setErrors(QString *error, QString *userError, const QString &text, const char *why,
    const QString &argument = {})
{
    const auto fill = [&](const QString &prefix, QString reason) {
        if (!argument.isNull())
            reason = reason.arg(argument);
        return prefix.arg(text, reason);
    };
    if (error) {
        *error = fill(QStringLiteral("bad server address '%1': %2"), QString::fromUtf8(why));
    }
    if (userError) {
        *userError = fill(QCoreApplication::translate(
                              "lottery::agency::ServerAddress", "bad server address '%1': %2"),
            QCoreApplication::translate(kContext, why));
    }
}

} // namespace

QString ServerAddress::toString() const
{
    const QString shown = host.contains(QLatin1Char(':')) ? QStringLiteral("[%1]").arg(host) : host;
    return QStringLiteral("%1:%2").arg(shown).arg(port);
}

std::optional<ServerAddress> parseServerAddress(
    const QString &input, QString *error, std::optional<quint16> defaultPort, QString *userError)
{
    const QString text = input.trimmed();
    auto failWith = [error, userError, &input](const char *why) -> std::optional<ServerAddress> {
        setErrors(error, userError, input, why);
        return std::nullopt;
    };
    QString host = text;
    QString portText;
    const qsizetype colon = text.lastIndexOf(QLatin1Char(':'));
    const bool bracketed = text.startsWith(QLatin1Char('['));
    if (bracketed) {
        const qsizetype close = text.indexOf(QLatin1Char(']'));
        if (close < 0)
            return failWith(QT_TRANSLATE_NOOP(
                "lottery::agency::ServerAddress", "unclosed '[' around an IPv6 address"));
        host = text.mid(1, close - 1);
        if (close + 1 < text.size()) {
            if (text.at(close + 1) != QLatin1Char(':'))
                return failWith(
                    QT_TRANSLATE_NOOP("lottery::agency::ServerAddress", "expected HOST:PORT"));
            portText = text.mid(close + 2);
        }
    } else if (defaultPort && text.count(QLatin1Char(':')) > 1) {
        return ServerAddress {text, *defaultPort}; // a bare IPv6 address, the port given apart
    } else if (colon >= 0) {
        host = text.left(colon);
        portText = text.mid(colon + 1);
        if (host.contains(QLatin1Char(':')))
            return failWith(QT_TRANSLATE_NOOP(
                "lottery::agency::ServerAddress", "write an IPv6 address in brackets, [::1]:PORT"));
    }
    if (host.isEmpty())
        return failWith(QT_TRANSLATE_NOOP("lottery::agency::ServerAddress", "the host is empty"));
    if (host.contains(QLatin1Char(' ')) || host.contains(QLatin1Char(',')))
        return failWith(QT_TRANSLATE_NOOP(
            "lottery::agency::ServerAddress", "the host contains a space or a comma"));
    if (portText.isEmpty() && colon < 0) {
        if (!defaultPort)
            return failWith(
                QT_TRANSLATE_NOOP("lottery::agency::ServerAddress", "expected HOST:PORT"));
        return ServerAddress {host, *defaultPort};
    }
    bool ok = false;
    const uint port = portText.toUInt(&ok);
    if (!ok || port < 1 || port > 65535)
        return failWith(QT_TRANSLATE_NOOP(
            "lottery::agency::ServerAddress", "the port must be a number in 1..65535"));
    return ServerAddress {host, static_cast<quint16>(port)};
}

std::optional<QList<ServerAddress>> parseServerList(
    const QString &text, QString *error, std::optional<quint16> defaultPort, QString *userError)
{
    QList<ServerAddress> servers;
    const QStringList parts = text.split(QLatin1Char(','));
    for (const QString &part : parts) {
        if (part.trimmed().isEmpty()) {
            setErrors(error, userError, text,
                parts.size() == 1
                    ? QT_TRANSLATE_NOOP("lottery::agency::ServerAddress", "expected HOST:PORT")
                    : QT_TRANSLATE_NOOP(
                        "lottery::agency::ServerAddress", "an empty entry in the list"));
            return std::nullopt;
        }
        const std::optional<ServerAddress> address
            = parseServerAddress(part, error, defaultPort, userError);
        if (!address)
            return std::nullopt;
        if (servers.contains(*address)) {
            setErrors(error, userError, text,
                QT_TRANSLATE_NOOP("lottery::agency::ServerAddress", "%1 is listed twice"),
                address->toString());
            return std::nullopt;
        }
        servers.append(*address);
    }
    return servers;
}

QString toString(const QList<ServerAddress> &servers)
{
    QStringList parts;
    for (const ServerAddress &server : servers)
        parts << server.toString();
    return parts.join(QLatin1Char(','));
}

} // namespace lottery::agency
