// Where the servers are: "HOST:PORT", "[IPv6]:PORT", or a comma-separated list of them that the
// agency fails over along, in order (the course's server.address, CLI_SERVER_ADDRESS, --server,
// the GUI's server field all go through here).
#pragma once

#include <QList>
#include <QString>

#include <optional>

namespace lottery::agency {

struct ServerAddress {
    QString host;
    quint16 port = 0;

    QString toString() const; // "host:port", "[::1]:port"
    bool operator==(const ServerAddress &o) const { return host == o.host && port == o.port; }
};

// One address. Without a port, `defaultPort` is used when given, otherwise it is an error.
// nullopt with `error` set ("bad server address 'x': why", English, for log lines) and
// `userError` set (the same in the person's language, through the installed translator) when it
// is not an address.
std::optional<ServerAddress> parseServerAddress(const QString &text, QString *error = nullptr,
    std::optional<quint16> defaultPort = std::nullopt, QString *userError = nullptr);

// "a:1,b:2" (spaces around the commas allowed): at least one address, no empty entry, no
// address twice.
std::optional<QList<ServerAddress>> parseServerList(const QString &text, QString *error = nullptr,
    std::optional<quint16> defaultPort = std::nullopt, QString *userError = nullptr);

// "a:1,b:2": what parseServerList() reads back.
QString toString(const QList<ServerAddress> &servers);

} // namespace lottery::agency
