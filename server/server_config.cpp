#include "server/server_config.h"

#include "common/closest_key.h"

#include <QCommandLineParser>
#include <QFileInfo>
#include <QHash>
#include <QHostAddress>
#include <QHostInfo>
#include <QRegularExpression>
#include <QSettings>

#include <functional>
#include <optional>

namespace lottery::server {

namespace {

const QString kDefaultConfigFile = QStringLiteral("config.ini");

// Parses one integer setting and checks its range; `source` names where the value came from.
std::optional<long long> parseInteger(
    const QString &text, long long min, long long max, const QString &source, QString *error)
{
    bool ok = false;
    const long long value = text.trimmed().toLongLong(&ok);
    if (!ok) {
        *error = QStringLiteral("%1: '%2' is not an integer").arg(source, text);
        return std::nullopt;
    }
    if (value < min || value > max) {
        *error
            = QStringLiteral("%1: %2 is outside %3..%4").arg(source).arg(value).arg(min).arg(max);
        return std::nullopt;
    }
    return value;
}

// RFC 1123 host names, plus the underscore Docker allows in service names: labels of 1..63
// letters, digits, '-' or '_' (no '-' at either end), at most 253 characters, a final dot allowed.
bool isHostName(const QString &text)
{
    static const QRegularExpression pattern(
        QStringLiteral("^(?=.{1,253}\\.?$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
                       "(\\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\\.?$"));
    return pattern.match(text).hasMatch();
}

// Only digits and dots, or a colon: meant as an address, so a failed parse is a bad address
// (e.g. 10.0.0.300), not a host name to look up.
bool looksLikeAddress(const QString &text)
{
    static const QRegularExpression pattern(QStringLiteral("^[0-9.]+$|:"));
    return pattern.match(text).hasMatch();
}

// SERVER_IP is an address or a host name: a name is resolved once all sources are read.
bool applyListenHost(
    ServerConfig &config, const QString &value, const QString &source, QString *error)
{
    const QString text = value.trimmed();
    if (text.isEmpty()) {
        *error = QStringLiteral("%1: the address is empty").arg(source);
        return false;
    }
    QHostAddress address;
    if (address.setAddress(text)) {
        config.ip = text;
        config.host.clear();
        return true;
    }
    if (looksLikeAddress(text) || !isHostName(text)) {
        *error = QStringLiteral("%1: '%2' is not an IP address or a host name").arg(source, value);
        return false;
    }
    config.host = text;
    return true;
}

// Resolves config.host (at start, blocking: nothing else runs yet) and sets config.ip to the
// address chooseListenAddress() picks.
bool resolveListenHost(ServerConfig &config, const QString &source, QString *error)
{
    const QHostInfo info = QHostInfo::fromName(config.host);
    if (info.error() != QHostInfo::NoError) {
        *error = QStringLiteral("%1: cannot resolve the host name '%2': %3")
                     .arg(source, config.host, info.errorString());
        return false;
    }
    config.hostAddresses.clear();
    for (const QHostAddress &address : info.addresses())
        config.hostAddresses << address.toString();
    const std::optional<QHostAddress> chosen = chooseListenAddress(info.addresses());
    if (!chosen) {
        *error = QStringLiteral("%1: the host name '%2' resolves to no address to listen on (%3)")
                     .arg(source, config.host,
                         config.hostAddresses.isEmpty()
                             ? QStringLiteral("none")
                             : config.hostAddresses.join(QStringLiteral(", ")));
        return false;
    }
    config.ip = chosen->toString();
    return true;
}

// Applies one key's textual value to the config; false (with `error`) when it is invalid.
bool applySetting(ServerConfig &config, const QString &key, const QString &value,
    const QString &source, QString *error)
{
    auto integer = [&](long long min, long long max) {
        return parseInteger(value, min, max, source, error);
    };
    if (key == u"SERVER_PORT") {
        const auto v = integer(0, 65535);
        if (!v)
            return false;
        config.port = static_cast<quint16>(*v);
    } else if (key == u"SERVER_IP") {
        return applyListenHost(config, value, source, error);
    } else if (key == u"SERVER_LISTEN_BACKLOG") {
        const auto v = integer(1, 65535);
        if (!v)
            return false;
        config.listenBacklog = static_cast<int>(*v);
    } else if (key == u"LOGGING_LEVEL") {
        const auto level = parseLogLevel(value);
        if (!level) {
            *error = QStringLiteral("%1: '%2' is not a log level "
                                    "(DEBUG, INFO, WARNING, ERROR, CRITICAL)")
                         .arg(source, value);
            return false;
        }
        config.logLevel = *level;
    } else if (key == u"SERVER_AGENCIES") {
        const auto v = integer(1, 1000000);
        if (!v)
            return false;
        config.agencies = static_cast<quint32>(*v);
    } else if (key == u"SERVER_STORAGE") {
        if (value.trimmed().isEmpty()) {
            *error = QStringLiteral("%1: the storage path is empty").arg(source);
            return false;
        }
        config.storagePath = value.trimmed();
    } else if (key == u"SERVER_WORKERS") {
        const auto v = integer(1, ServerConfig::kMaxWorkers);
        if (!v)
            return false;
        config.workers = static_cast<int>(*v);
    } else if (key == u"SERVER_IDLE_TIMEOUT_MS") {
        const auto v = integer(1, 24LL * 3600 * 1000);
        if (!v)
            return false;
        config.idleTimeoutMs = static_cast<int>(*v);
    } else if (key == u"SERVER_FRAME_TIMEOUT_MS") {
        const auto v = integer(1, 24LL * 3600 * 1000);
        if (!v)
            return false;
        config.frameTimeoutMs = static_cast<int>(*v);
    } else if (key == u"SERVER_MAX_CONNECTIONS") {
        const auto v = integer(1, 1000000);
        if (!v)
            return false;
        config.maxConnections = static_cast<int>(*v);
    } else if (key == u"SERVER_UPLOAD_SLOTS") {
        const auto v = integer(1, 1000000);
        if (!v)
            return false;
        config.uploadSlots = static_cast<int>(*v);
    } else if (key == u"SERVER_UPLOAD_BUFFER_MB") {
        const auto v = integer(1, 65536);
        if (!v)
            return false;
        config.uploadBufferMiB = static_cast<int>(*v);
    } else if (key == u"SERVER_HELLO_TIMEOUT_MS") {
        const auto v = integer(1, 24LL * 3600 * 1000);
        if (!v)
            return false;
        config.helloTimeoutMs = static_cast<int>(*v);
    } else if (key == u"SERVER_DATABASE") {
        // Empty selects the file store again (e.g. an environment variable over config.ini).
        config.database = value.trimmed();
    } else if (key == u"SERVER_ADMIN_PORT") {
        if (value.trimmed().isEmpty()) { // empty: off again
            config.adminPort = -1;
            return true;
        }
        const auto v = integer(0, 65535);
        if (!v)
            return false;
        config.adminPort = static_cast<int>(*v);
    } else if (key == u"SERVER_SALES_CLOSE") {
        const QString text = value.trimmed();
        if (text.isEmpty()) { // empty: no scheduled close again
            config.salesClose = QDateTime();
            return true;
        }
        // An offset is required: a bare local time would depend on the machine's time zone.
        static const QRegularExpression form(QStringLiteral(
            "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?(Z|[+-]\\d{2}:\\d{2})$"));
        const QDateTime at = QDateTime::fromString(text, Qt::ISODateWithMs);
        if (!form.match(text).hasMatch() || !at.isValid()) {
            *error = QStringLiteral("%1: '%2' is not an ISO 8601 time with its offset, e.g. "
                                    "2026-12-07T21:00:00-03:00")
                         .arg(source, value);
            return false;
        }
        config.salesClose = at;
    } else if (key == u"SERVER_ADMIN_IP") {
        QHostAddress address;
        if (!address.setAddress(value.trimmed())) {
            *error = QStringLiteral("%1: '%2' is not an IP address").arg(source, value);
            return false;
        }
        config.adminIp = value.trimmed();
    } else if (key == u"SERVER_TLS_CERT" || key == u"SERVER_TLS_KEY" || key == u"SERVER_CREDENTIALS"
        || key == u"SERVER_ADMIN_TOKEN_FILE") {
        // Empty turns the feature off again (e.g. an environment variable over config.ini).
        const QString path = value.trimmed();
        if (!path.isEmpty() && !QFileInfo(path).isReadable()) {
            *error = QStringLiteral("%1: '%2' is not a readable file").arg(source, path);
            return false;
        }
        if (key == u"SERVER_TLS_CERT")
            config.tlsCertificatePath = path;
        else if (key == u"SERVER_TLS_KEY")
            config.tlsKeyPath = path;
        else if (key == u"SERVER_CREDENTIALS")
            config.credentialsPath = path;
        else
            config.adminTokenPath = path;
    }
    return true;
}

const QStringList &settingKeys()
{
    static const QStringList keys = {
        QStringLiteral("SERVER_PORT"),
        QStringLiteral("SERVER_IP"),
        QStringLiteral("SERVER_LISTEN_BACKLOG"),
        QStringLiteral("LOGGING_LEVEL"),
        QStringLiteral("SERVER_AGENCIES"),
        QStringLiteral("SERVER_STORAGE"),
        QStringLiteral("SERVER_WORKERS"),
        QStringLiteral("SERVER_IDLE_TIMEOUT_MS"),
        QStringLiteral("SERVER_FRAME_TIMEOUT_MS"),
        QStringLiteral("SERVER_MAX_CONNECTIONS"),
        QStringLiteral("SERVER_UPLOAD_SLOTS"),
        QStringLiteral("SERVER_UPLOAD_BUFFER_MB"),
        QStringLiteral("SERVER_HELLO_TIMEOUT_MS"),
        QStringLiteral("SERVER_TLS_CERT"),
        QStringLiteral("SERVER_TLS_KEY"),
        QStringLiteral("SERVER_CREDENTIALS"),
        QStringLiteral("SERVER_DATABASE"),
        QStringLiteral("SERVER_ADMIN_PORT"),
        QStringLiteral("SERVER_ADMIN_IP"),
        QStringLiteral("SERVER_ADMIN_TOKEN_FILE"),
        QStringLiteral("SERVER_SALES_CLOSE"),
    };
    return keys;
}

// Read from the environment only, by main() before anything else
// (server/net/epoll_event_dispatcher.h): known, so that the environment check accepts it, and
// checked here so that a typo in its value is an error too.
const QString kEventDispatcherVariable = QStringLiteral("SERVER_EVENT_DISPATCHER");

// "<source>: unknown key `NAME`; did you mean `CLOSEST`?", or the list of keys when nothing is
// close (a person reading it sees every name there is).
QString unknownKey(const QString &source, const QString &name, const QStringList &known)
{
    const QString closest = closestSettingName(name, known, u"SERVER_");
    if (!closest.isEmpty())
        return QStringLiteral("%1: unknown key `%2`; did you mean `%3`?")
            .arg(source, name, closest);
    return QStringLiteral("%1: unknown key `%2` (the keys: %3)")
        .arg(source, name, known.join(QStringLiteral(", ")));
}

// Every key of the file is one of settingKeys(), in the [DEFAULT] section.
bool checkFileKeys(const QSettings &settings, const QString &path, QString *error)
{
    const QString section = QStringLiteral("DEFAULT/");
    for (const QString &key : settings.allKeys()) {
        if (!key.startsWith(section)) {
            // QSettings reads keys before any section header, or under [General], as top-level.
            const qsizetype slash = key.indexOf(QLatin1Char('/'));
            *error = slash < 0
                ? QStringLiteral("config file %1: `%2` is outside the [DEFAULT] section, where "
                                 "every setting goes")
                      .arg(path, key)
                : QStringLiteral("config file %1: unknown section [%2] (key `%3`); every "
                                 "setting goes in [DEFAULT]")
                      .arg(path, key.left(slash), key.mid(slash + 1));
            return false;
        }
        const QString name = key.mid(section.size());
        if (settingKeys().contains(name))
            continue;
        if (name == kEventDispatcherVariable) {
            *error = QStringLiteral("config file %1 [DEFAULT]: %2 is read from the environment "
                                    "only, not from a config file")
                         .arg(path, name);
            return false;
        }
        *error
            = unknownKey(QStringLiteral("config file %1 [DEFAULT]").arg(path), name, settingKeys());
        return false;
    }
    return true;
}

// Every SERVER_* variable of the environment is one the server reads: a misspelled one would
// otherwise leave its setting at the default without a word (the Compose files configure the
// containers this way).
bool checkEnvironment(const QProcessEnvironment &environment, QString *error)
{
    QStringList known = settingKeys();
    known << kEventDispatcherVariable;
    QStringList names = environment.keys();
    names.sort(); // the same error whatever the order of the environment
    for (const QString &name : std::as_const(names)) {
        if (!name.startsWith(QLatin1String("SERVER_")) || known.contains(name))
            continue;
        *error = unknownKey(QStringLiteral("environment"), name, known);
        return false;
    }
    const QString dispatcher = environment.value(kEventDispatcherVariable);
    if (environment.contains(kEventDispatcherVariable) && dispatcher != QLatin1String("qt")
        && dispatcher != QLatin1String("epoll") && !dispatcher.isEmpty()) {
        *error = QStringLiteral("environment variable %1: '%2' is not qt or epoll")
                     .arg(kEventDispatcherVariable, dispatcher);
        return false;
    }
    return true;
}

// A password in a libpq conninfo: `password=` as a keyword, or user:password@ in a URI.
bool containsPassword(const QString &conninfo)
{
    static const QRegularExpression keyword(QStringLiteral("(^|\\s)password\\s*="));
    static const QRegularExpression uri(QStringLiteral("^postgres(ql)?://[^/@?]*:[^/@?]*@"),
        QRegularExpression::CaseInsensitiveOption);
    static const QRegularExpression query(QStringLiteral("[?&]password="));
    return keyword.match(conninfo).hasMatch() || uri.match(conninfo).hasMatch()
        || (conninfo.startsWith(QStringLiteral("postgres")) && query.match(conninfo).hasMatch());
}

// `sources` gets, for each key applied, where its value came from (for later errors).
bool applyFile(ServerConfig &config, const QString &path, bool mustExist,
    QHash<QString, QString> &sources, QString *error)
{
    const QFileInfo info(path);
    if (!info.exists()) {
        if (!mustExist)
            return true;
        *error = QStringLiteral("config file %1 does not exist").arg(path);
        return false;
    }
    if (!info.isFile() || !info.isReadable()) {
        *error = QStringLiteral("config file %1 is not a readable file").arg(path);
        return false;
    }
    QSettings settings(path, QSettings::IniFormat);
    if (settings.status() != QSettings::NoError) {
        *error = QStringLiteral("config file %1 is not a valid INI file").arg(path);
        return false;
    }
    if (!checkFileKeys(settings, path, error))
        return false;
    settings.beginGroup(QStringLiteral("DEFAULT"));
    for (const QString &key : settingKeys()) {
        if (!settings.contains(key))
            continue;
        // A value with a comma comes back as a list: join it so the error shows what was written.
        const QVariant raw = settings.value(key);
        const QString value = raw.userType() == QMetaType::QStringList
            ? raw.toStringList().join(QLatin1Char(','))
            : raw.toString();
        const QString source = QStringLiteral("%1 [DEFAULT] %2").arg(path, key);
        if (!applySetting(config, key, value, source, error))
            return false;
        sources.insert(key, source);
    }
    return true;
}

} // namespace

ConfigLoadResult ServerConfigLoader::load(
    const QStringList &arguments, const QProcessEnvironment &environment)
{
    ConfigLoadResult result;
    auto fail = [&result](const QString &text) {
        result.status = ConfigLoadResult::Status::Error;
        result.text = text;
        return result;
    };

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Loteria central server"));
    const QCommandLineOption helpOption(
        {QStringLiteral("h"), QStringLiteral("help")}, QStringLiteral("Show this help."));
    const QCommandLineOption configOption(QStringLiteral("config"),
        QStringLiteral("Configuration file (INI)."), QStringLiteral("file"));
    const QCommandLineOption portOption(
        QStringLiteral("port"), QStringLiteral("TCP port."), QStringLiteral("n"));
    const QCommandLineOption agenciesOption(QStringLiteral("agencies"),
        QStringLiteral("Agencies expected before the draw."), QStringLiteral("n"));
    const QCommandLineOption storageOption(
        QStringLiteral("storage"), QStringLiteral("Path of bets.csv."), QStringLiteral("path"));
    const QCommandLineOption workersOption(
        QStringLiteral("workers"), QStringLiteral("Worker threads (1..10)."), QStringLiteral("n"));
    const QCommandLineOption levelOption(QStringLiteral("log-level"),
        QStringLiteral("DEBUG, INFO, WARNING or ERROR."), QStringLiteral("level"));
    const QCommandLineOption tlsCertOption(QStringLiteral("tls-cert"),
        QStringLiteral("PEM certificate (chain) of the server; turns TLS on."),
        QStringLiteral("file"));
    const QCommandLineOption tlsKeyOption(QStringLiteral("tls-key"),
        QStringLiteral("PEM private key of the server certificate."), QStringLiteral("file"));
    const QCommandLineOption credentialsOption(QStringLiteral("credentials"),
        QStringLiteral("Agency token hashes; turns authentication on."), QStringLiteral("file"));
    const QCommandLineOption databaseOption(QStringLiteral("database"),
        QStringLiteral("libpq connection string of the PostgreSQL store (no password: use "
                       "PGPASSFILE or PGPASSWORD); unset: the file store."),
        QStringLiteral("conninfo"));
    const QCommandLineOption adminPortOption(QStringLiteral("admin-port"),
        QStringLiteral("Port of the admin HTTP endpoint (metrics, health, dashboard); "
                       "off unless set, 0: any free port."),
        QStringLiteral("n"));
    const QCommandLineOption adminIpOption(QStringLiteral("admin-ip"),
        QStringLiteral("Address of the admin endpoint (default 127.0.0.1)."), QStringLiteral("ip"));
    const QCommandLineOption adminTokenOption(QStringLiteral("admin-token-file"),
        QStringLiteral("Bearer token of the admin endpoint; required off loopback."),
        QStringLiteral("file"));
    const QCommandLineOption salesCloseOption(QStringLiteral("sales-close"),
        QStringLiteral("Close sales at this time (ISO 8601 with offset, e.g. "
                       "2026-12-07T21:00:00-03:00); the draw runs then."),
        QStringLiteral("time"));
    const QCommandLineOption healthCheckOption(QStringLiteral("health-check"),
        QStringLiteral("Ask the running server's admin endpoint (this configuration's "
                       "SERVER_ADMIN_PORT, on loopback) for GET /readyz; exit 0 when ready."));
    const QCommandLineOption repairOption(QStringLiteral("repair"),
        QStringLiteral("Move what recovery cannot vouch for (damage and everything after it) "
                       "into side files beside the store, log what moved, and exit."));
    const QCommandLineOption setAgenciesOption(QStringLiteral("set-agencies"),
        QStringLiteral("Record a new expected agency count in the store and exit (refused once "
                       "an agency is done, or while an agency above it has bets)."),
        QStringLiteral("n"));
    parser.addOptions({repairOption, setAgenciesOption});
    parser.addOptions({helpOption, healthCheckOption, configOption, portOption, agenciesOption,
        storageOption, workersOption, levelOption, tlsCertOption, tlsKeyOption, credentialsOption,
        adminPortOption, adminIpOption, adminTokenOption, databaseOption, salesCloseOption});
    if (!parser.parse(arguments))
        return fail(QStringLiteral("command line: %1").arg(parser.errorText()));
    if (!parser.positionalArguments().isEmpty()) {
        return fail(QStringLiteral("command line: unexpected argument '%1'")
                        .arg(parser.positionalArguments().constFirst()));
    }
    if (parser.isSet(helpOption)) {
        result.status = ConfigLoadResult::Status::Help;
        result.text = parser.helpText();
        return result;
    }

    QString error;
    ServerConfig &config = result.config;
    const bool explicitFile = parser.isSet(configOption);
    const QString file = explicitFile ? parser.value(configOption) : kDefaultConfigFile;
    QHash<QString, QString> sources;
    if (!applyFile(config, file, explicitFile, sources, &error))
        return fail(error);

    if (!checkEnvironment(environment, &error))
        return fail(error);
    for (const QString &key : settingKeys()) {
        if (!environment.contains(key))
            continue;
        const QString source = QStringLiteral("environment variable %1").arg(key);
        if (!applySetting(config, key, environment.value(key), source, &error))
            return fail(error);
        sources.insert(key, source);
    }

    const std::pair<const QCommandLineOption *, QString> flags[] = {
        {&portOption, QStringLiteral("SERVER_PORT")},
        {&agenciesOption, QStringLiteral("SERVER_AGENCIES")},
        {&storageOption, QStringLiteral("SERVER_STORAGE")},
        {&workersOption, QStringLiteral("SERVER_WORKERS")},
        {&levelOption, QStringLiteral("LOGGING_LEVEL")},
        {&tlsCertOption, QStringLiteral("SERVER_TLS_CERT")},
        {&tlsKeyOption, QStringLiteral("SERVER_TLS_KEY")},
        {&credentialsOption, QStringLiteral("SERVER_CREDENTIALS")},
        {&databaseOption, QStringLiteral("SERVER_DATABASE")},
        {&adminPortOption, QStringLiteral("SERVER_ADMIN_PORT")},
        {&adminIpOption, QStringLiteral("SERVER_ADMIN_IP")},
        {&adminTokenOption, QStringLiteral("SERVER_ADMIN_TOKEN_FILE")},
        {&salesCloseOption, QStringLiteral("SERVER_SALES_CLOSE")},
    };
    for (const auto &[option, key] : flags) {
        if (!parser.isSet(*option))
            continue;
        const QString source = QStringLiteral("--%1").arg(option->names().constFirst());
        if (!applySetting(config, key, parser.value(*option), source, &error))
            return fail(error);
    }
    if (parser.isSet(databaseOption) && containsPassword(parser.value(databaseOption))) {
        // Any user of the machine can read a command line (ps, /proc).
        return fail(QStringLiteral("--database: the connection string contains a password; a "
                                   "command line is readable by every user of the machine: put "
                                   "it in a pass file (PGPASSFILE or passfile=) or PGPASSWORD"));
    }
    if (config.tlsCertificatePath.isEmpty() != config.tlsKeyPath.isEmpty()) {
        return fail(
            QStringLiteral("TLS needs both a certificate and a key "
                           "(SERVER_TLS_CERT / --tls-cert and SERVER_TLS_KEY / --tls-key)"));
    }
    // Off loopback anyone on the network could read the console: a token is not optional there.
    if (config.adminEnabled() && !QHostAddress(config.adminIp).isLoopback()
        && config.adminTokenPath.isEmpty()) {
        return fail(QStringLiteral("the admin endpoint on %1 (not loopback) needs a bearer token: "
                                   "set SERVER_ADMIN_TOKEN_FILE / --admin-token-file, or bind it "
                                   "to 127.0.0.1 with SERVER_ADMIN_IP")
                        .arg(config.adminIp));
    }
    if (parser.isSet(healthCheckOption))
        result.status = ConfigLoadResult::Status::HealthCheck;
    if (int(parser.isSet(healthCheckOption)) + int(parser.isSet(repairOption))
            + int(parser.isSet(setAgenciesOption))
        > 1) {
        return fail(QStringLiteral(
            "command line: --health-check, --repair and --set-agencies exclude each other"));
    }
    if (parser.isSet(repairOption))
        result.status = ConfigLoadResult::Status::Repair;
    if (parser.isSet(setAgenciesOption)) {
        ServerConfig changed;
        if (!applySetting(changed, QStringLiteral("SERVER_AGENCIES"),
                parser.value(setAgenciesOption), QStringLiteral("--set-agencies"), &error))
            return fail(error);
        result.status = ConfigLoadResult::Status::SetAgencies;
        result.setAgencies = changed.agencies;
    }
    // Last, once the name is final: an override by an address needs no lookup.
    if (!config.host.isEmpty()
        && !resolveListenHost(config, sources.value(QStringLiteral("SERVER_IP")), &error))
        return fail(error);
    return result;
}

std::optional<QHostAddress> chooseListenAddress(const QList<QHostAddress> &addresses)
{
    auto usable = [](const QHostAddress &address, QAbstractSocket::NetworkLayerProtocol family) {
        return address.protocol() == family && !address.isMulticast() && !address.isBroadcast();
    };
    for (const auto family : {QAbstractSocket::IPv4Protocol, QAbstractSocket::IPv6Protocol}) {
        for (const QHostAddress &address : addresses) {
            if (usable(address, family))
                return address;
        }
    }
    return std::nullopt;
}

void logConfig(const ServerConfig &config)
{
    LogLine line = LOTTERY_LOG_SUCCESS("config");
    line.field(u"ip", config.ip);
    if (!config.host.isEmpty()) {
        // Which of the name's addresses was chosen, and among which (see chooseListenAddress).
        line.field(u"host", config.host)
            .field(u"host_addresses", config.hostAddresses.join(QStringLiteral(", ")))
            .field(u"chosen", "first IPv4, else first IPv6");
    }
    line.field(u"port", static_cast<int>(config.port))
        .field(u"listen_backlog", config.listenBacklog)
        .field(u"logging_level", toString(config.logLevel))
        .field(u"agencies", config.agencies)
        .field(u"workers", config.workers)
        .field(u"storage", config.storagePath)
        .field(u"idle_timeout_ms", config.idleTimeoutMs)
        .field(u"frame_timeout_ms", config.frameTimeoutMs)
        .field(u"max_connections", config.maxConnections)
        .field(u"upload_slots", config.uploadSlots)
        .field(u"upload_buffer_mb", config.uploadBufferMiB)
        .field(u"hello_timeout_ms", config.helloTimeoutMs)
        .field(u"tls", config.tlsEnabled() ? "on" : "off")
        .field(u"auth", config.authEnabled() ? "on" : "off")
        .field(u"store", config.usesDatabase() ? "postgresql" : "file")
        .field(u"admin",
            config.adminEnabled()
                ? QStringLiteral("%1:%2").arg(config.adminIp).arg(config.adminPort)
                : QStringLiteral("off"));
}

} // namespace lottery::server
