// The server's settings: config.ini ([DEFAULT] section, the course's keys), overridden by
// environment variables of the same names, overridden by command-line flags.
#pragma once

#include "common/log.h"

#include <QDateTime>
#include <QHostAddress>
#include <QList>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <optional>

namespace lottery::server {

struct ServerConfig {
    quint16 port = 12345;
    // The address to listen on. SERVER_IP may name a host instead (the course's compose file says
    // `server`, the service's name): the loader resolves it once, at start, and puts the chosen
    // address here, so whoever listens gets an address, never a name.
    QString ip = QStringLiteral("0.0.0.0");
    // The host name SERVER_IP gave, empty when it gave an address; and every address it resolved
    // to, in the resolver's order (ip is one of them).
    QString host;
    QStringList hostAddresses;
    int listenBacklog = 5;
    LogLevel logLevel = LogLevel::Info;
    quint32 agencies = 5; // agencies 1..N are expected to send DONE before the draw
    QString storagePath = QStringLiteral("./bets.csv");
    int workers = 10; // pool threads (1..kMaxWorkers)
    int idleTimeoutMs = 60000;
    int frameTimeoutMs = 10000;
    int maxConnections = 1024;
    // Sessions reading BATCH frames at once, and the read buffer they hold together
    // (docs/PERFORMANCE.md): the others wait with their batches in the kernel, so a flood of
    // agencies cannot make the server hold more bets than it can store. A slot's buffer is what
    // its session has waiting, from one frame (8 KiB) to one task's worth (64 frames).
    int uploadSlots = 4096;
    int uploadBufferMiB = 32;
    // From accepting a connection to a whole HELLO, the TLS handshake included.
    int helloTimeoutMs = 10000;
    // TLS: both set, or neither (plain TCP). PEM files.
    QString tlsCertificatePath;
    QString tlsKeyPath;
    // Per-agency token hashes (docs/SECURITY.md); empty: no authentication.
    QString credentialsPath;
    // A libpq connection string: the PostgreSQL store (docs/OPERATIONS.md); empty: the file
    // store at storagePath. Its password comes from PGPASSWORD / PGPASSFILE / passfile=.
    QString database;
    // The operator's HTTP endpoint (docs/ADMIN.md): off unless a port is set (0: the kernel
    // picks one). Off loopback it needs a bearer token file.
    int adminPort = -1;
    QString adminIp = QStringLiteral("127.0.0.1");
    QString adminTokenPath;
    // The scheduled close of sales (SERVER_SALES_CLOSE): an ISO 8601 time with its UTC offset;
    // invalid: none (the operator closes, or the last agency's DONE does).
    QDateTime salesClose;

    bool tlsEnabled() const { return !tlsCertificatePath.isEmpty(); }
    bool authEnabled() const { return !credentialsPath.isEmpty(); }
    bool usesDatabase() const { return !database.isEmpty(); }
    bool adminEnabled() const { return adminPort >= 0; }

    static constexpr int kMaxWorkers = 10;
};

// What loading produced: a config, a request for --help text, or an error that names the
// file or key and the problem (the program exits with kExitConfigError).
struct ConfigLoadResult {
    // HealthCheck: `--health-check`, probe this config's admin /readyz and exit (Docker).
    // Repair: `--repair`, move what recovery cannot vouch for into side files and exit.
    // SetAgencies: `--set-agencies N`, record a new expected agency count in the store and exit.
    enum class Status { Ok, Help, Error, HealthCheck, Repair, SetAgencies };
    Status status = Status::Ok;
    ServerConfig config;
    QString text; // the error, or the help text
    quint32 setAgencies = 0; // SetAgencies: the new count

    static constexpr int kExitConfigError = 2;
};

class ServerConfigLoader
{
public:
    // `arguments` includes the program name first, like QCoreApplication::arguments().
    // The default config file is config.ini in the working directory; missing is fine.
    static ConfigLoadResult load(
        const QStringList &arguments, const QProcessEnvironment &environment);
};

// The address to listen on among those a host name resolved to: the first usable IPv4 one, else
// the first usable IPv6 one (IPv4 first because the agencies' default `server:12345` and Docker's
// networks are IPv4). Usable: an IPv4 or IPv6 address that is not multicast or broadcast.
std::optional<QHostAddress> chooseListenAddress(const QList<QHostAddress> &addresses);

// One line: `action: config | result: success | port: .. | ...`.
void logConfig(const ServerConfig &config);

} // namespace lottery::server
