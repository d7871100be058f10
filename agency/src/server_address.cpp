#include "lottery/agency/server_address.h"

#include <QStringList>

namespace lottery::agency {

QString ServerAddress::toString() const
{
    const QString shown = host.contains(QLatin1Char(':')) ? QStringLiteral("[%1]").arg(host) : host;
    return QStringLiteral("%1:%2").arg(shown).arg(port);
}

std::optional<ServerAddress> parseServerAddress(
    const QString &input, QString *error, std::optional<quint16> defaultPort)
{
    const QString text = input.trimmed();
    auto failWith = [error, &input](const QString &why) -> std::optional<ServerAddress> {
        if (error)
            *error = QStringLiteral("bad server address '%1': %2").arg(input, why);
        return std::nullopt;
    };
    QString host = text;
    QString portText;
    const qsizetype colon = text.lastIndexOf(QLatin1Char(':'));
    const bool bracketed = text.startsWith(QLatin1Char('['));
    if (bracketed) {
        const qsizetype close = text.indexOf(QLatin1Char(']'));
        if (close < 0)
            return failWith(QStringLiteral("unclosed '[' around an IPv6 address"));
        host = text.mid(1, close - 1);
        if (close + 1 < text.size()) {
            if (text.at(close + 1) != QLatin1Char(':'))
                return failWith(QStringLiteral("expected HOST:PORT"));
            portText = text.mid(close + 2);
        }
    } else if (defaultPort && text.count(QLatin1Char(':')) > 1) {
        return ServerAddress {text, *defaultPort}; // a bare IPv6 address, the port given apart
    } else if (colon >= 0) {
        host = text.left(colon);
        portText = text.mid(colon + 1);
        if (host.contains(QLatin1Char(':')))
            return failWith(QStringLiteral("write an IPv6 address in brackets, [::1]:PORT"));
    }
    if (host.isEmpty())
        return failWith(QStringLiteral("the host is empty"));
    if (host.contains(QLatin1Char(' ')) || host.contains(QLatin1Char(',')))
        return failWith(QStringLiteral("the host contains a space or a comma"));
    if (portText.isEmpty() && colon < 0) {
        if (!defaultPort)
            return failWith(QStringLiteral("expected HOST:PORT"));
        return ServerAddress {host, *defaultPort};
    }
    bool ok = false;
    const uint port = portText.toUInt(&ok);
    if (!ok || port < 1 || port > 65535)
        return failWith(QStringLiteral("the port must be a number in 1..65535"));
    return ServerAddress {host, static_cast<quint16>(port)};
}

std::optional<QList<ServerAddress>> parseServerList(
    const QString &text, QString *error, std::optional<quint16> defaultPort)
{
    QList<ServerAddress> servers;
    const QStringList parts = text.split(QLatin1Char(','));
    for (const QString &part : parts) {
        if (part.trimmed().isEmpty()) {
            if (error)
                *error = QStringLiteral("bad server address '%1': %2")
                             .arg(text,
                                 parts.size() == 1 ? QStringLiteral("expected HOST:PORT")
                                                   : QStringLiteral("an empty entry in the list"));
            return std::nullopt;
        }
        const std::optional<ServerAddress> address = parseServerAddress(part, error, defaultPort);
        if (!address)
            return std::nullopt;
        if (servers.contains(*address)) {
            if (error)
                *error = QStringLiteral("bad server address '%1': %2 is listed twice")
                             .arg(text, address->toString());
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
