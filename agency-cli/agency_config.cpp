#include "agency_config.h"

#include "common/closest_key.h"
#include "common/translations.h"
#include "lottery/agency/token_file.h"

#include <QCommandLineParser>
#include <QFile>
#include <QFileInfo>

#include <yaml-cpp/yaml.h>

#include <limits>
#include <optional>

namespace lottery::agency {

namespace {

const QString kDefaultConfigFile = QStringLiteral("config.yaml");

// Setting names, shared by the three sources.
const QString kId = QStringLiteral("id");
const QString kServer = QStringLiteral("server.address");
const QString kLogLevel = QStringLiteral("log.level");
const QString kBatchMax = QStringLiteral("batch.maxAmount");
const QString kDataFile = QStringLiteral("data.file");
const QString kWindow = QStringLiteral("window");
const QString kConnectTimeout = QStringLiteral("connect.timeout");
const QString kReconnectTimeout = QStringLiteral("reconnect.timeout");
const QString kToken = QStringLiteral("token");
const QString kTokenFile = QStringLiteral("tokenFile");
const QString kCa = QStringLiteral("ca");
const QString kReceiptFile = QStringLiteral("receipt.file");
const QString kAcceptSuspicious = QStringLiteral("accept-suspicious-file");

struct EnvironmentName {
    const char *variable;
    const QString &key;
};

const EnvironmentName kEnvironment[] = {
    {"CLI_ID", kId},
    {"CLI_SERVER_ADDRESS", kServer},
    {"CLI_LOG_LEVEL", kLogLevel},
    {"CLI_BATCH_MAXAMOUNT", kBatchMax},
    {"CLI_DATA_FILE", kDataFile},
    {"CLI_TOKEN", kToken},
    {"CLI_TOKEN_FILE", kTokenFile},
    {"CLI_CA", kCa},
    {"CLI_RECONNECT_TIMEOUT", kReconnectTimeout},
    {"CLI_RECEIPT_FILE", kReceiptFile},
    {"CLI_ACCEPT_SUSPICIOUS_FILE", kAcceptSuspicious},
};

// Every key config.yaml may hold, in the order they are applied.
const QStringList &yamlKeys()
{
    static const QStringList keys {kId, kServer, kLogLevel, kBatchMax, kDataFile, kWindow,
        kConnectTimeout, kReconnectTimeout, kToken, kTokenFile, kCa, kReceiptFile};
    return keys;
}

// The course's echo-client keys (`loop.amount`, `loop.period`): its config.yaml has them, and
// the course's flow mounts that file; read and not used.
const QStringList &courseOnlyKeys()
{
    static const QStringList keys {QStringLiteral("loop.amount"), QStringLiteral("loop.period")};
    return keys;
}

// What a config.yaml key may be: one of ours, the course's, or a mapping leading to them
// ("server" of "server.address").
QStringList knownYamlNames()
{
    QStringList names = yamlKeys() + courseOnlyKeys();
    for (const QString &key : yamlKeys() + courseOnlyKeys()) {
        for (qsizetype dot = key.indexOf(QLatin1Char('.')); dot >= 0;
             dot = key.indexOf(QLatin1Char('.'), dot + 1)) {
            if (!names.contains(key.left(dot)))
                names << key.left(dot);
        }
    }
    return names;
}

QStringList environmentNames()
{
    QStringList names;
    for (const EnvironmentName &name : kEnvironment)
        names << QString::fromLatin1(name.variable);
    return names;
}

// The last part of a dotted key: "address" of "server.address".
QString leaf(const QString &key)
{
    return key.mid(key.lastIndexOf(QLatin1Char('.')) + 1);
}

bool parseInteger(const QString &text, qint64 min, qint64 max, qint64 &value)
{
    bool ok = false;
    value = text.trimmed().toLongLong(&ok);
    return ok && value >= min && value <= max;
}

// Walks "a.b.c" down nested mappings without assigning Nodes (assignment rewrites the tree).
std::optional<YAML::Node> lookup(const YAML::Node &node, const QStringList &path, int index = 0)
{
    if (index == path.size())
        return node.IsNull() ? std::nullopt : std::optional<YAML::Node>(node);
    if (!node.IsMap())
        return std::nullopt;
    const YAML::Node child = node[path.at(index).toStdString()];
    if (!child.IsDefined())
        return std::nullopt;
    return lookup(child, path, index + 1);
}

} // namespace

QString AgencyCliConfig::serverAddress() const
{
    return toString(servers);
}

AgencySessionOptions AgencyCliConfig::sessionOptions() const
{
    AgencySessionOptions options;
    options.servers = servers;
    options.agency = agency;
    options.token = token;
    options.caFile = caFile;
    options.dataFile = dataFile;
    options.batchMaxBets = batchMaxBets;
    options.window = window;
    options.connectTimeout = std::chrono::seconds(connectTimeoutSeconds);
    options.reconnectTimeout = std::chrono::seconds(reconnectTimeoutSeconds);
    return options;
}

TranslatedText AgencyConfigLoader::text(const char *source)
{
    return {QString::fromUtf8(source), tr(source)};
}

bool AgencyConfigLoader::fail(const TranslatedText &message)
{
    m_error = message;
    return false;
}

bool AgencyConfigLoader::apply(
    const QString &key, const QString &value, const TranslatedText &origin)
{
    const auto bad = [&](const TranslatedText &expected) {
        return fail(text(QT_TR_NOOP("%1: '%2' is not %3")).arg(origin).arg(value).arg(expected));
    };
    qint64 number = 0;
    if (key == kId) {
        if (!parseInteger(value, 1, std::numeric_limits<quint32>::max(), number))
            return bad(text(QT_TR_NOOP("an agency number from 1 to 4294967295")));
        m_config.agency = static_cast<quint32>(number);
    } else if (key == kServer) {
        QString why;
        QString userWhy;
        const std::optional<QList<ServerAddress>> servers
            = parseServerList(value, &why, std::nullopt, &userWhy);
        if (!servers) {
            // The reason without its "bad server address '...': " prefix: the value is quoted
            // already.
            const auto reason = [](const QString &message) {
                return message.mid(message.indexOf(QLatin1String("': ")) + 3);
            };
            return fail(text(QT_TR_NOOP("%1: '%2' is not a HOST:PORT address or a list "
                                        "a:PORT,b:PORT (%3)"))
                            .arg(origin)
                            .arg(value)
                            .arg(TranslatedText {reason(why), reason(userWhy)}));
        }
        m_config.servers = *servers;
    } else if (key == kLogLevel) {
        const auto level = parseLogLevel(value);
        if (!level)
            return bad(text(QT_TR_NOOP("a log level (DEBUG, INFO, WARNING, ERROR)")));
        m_config.logLevel = *level;
    } else if (key == kBatchMax) {
        if (!parseInteger(value, 1, 0xFFFF, number))
            return bad(text(QT_TR_NOOP("a batch size from 1 to 65535")));
        m_config.batchMaxBets = static_cast<int>(number);
    } else if (key == kDataFile) {
        if (value.trimmed().isEmpty())
            return bad(text(QT_TR_NOOP("a file path")));
        m_config.dataFile = value;
        m_dataFileSet = true;
    } else if (key == kReceiptFile) {
        if (value.trimmed().isEmpty())
            return bad(text(QT_TR_NOOP("a file path")));
        m_config.receiptFile = value;
    } else if (key == kWindow) {
        if (!parseInteger(value, 1, 1024, number))
            return bad(text(QT_TR_NOOP("a window from 1 to 1024 batches")));
        m_config.window = static_cast<int>(number);
    } else if (key == kConnectTimeout) {
        if (!parseInteger(value, 1, 86400, number))
            return bad(text(QT_TR_NOOP("a timeout from 1 to 86400 seconds")));
        m_config.connectTimeoutSeconds = static_cast<int>(number);
    } else if (key == kReconnectTimeout) {
        if (!parseInteger(value, 0, 86400, number))
            return bad(text(QT_TR_NOOP("a timeout from 0 (never reconnect) to 86400 seconds")));
        m_config.reconnectTimeoutSeconds = static_cast<int>(number);
    } else if (key == kToken) {
        const TokenResult token = checkToken(value.toUtf8(), origin.english, origin.local);
        if (!token.ok)
            return fail(TranslatedText {token.errorString, token.userErrorString});
        m_config.token = token.token; // never logged
    } else if (key == kTokenFile) {
        const TokenResult token = readTokenFile(value);
        if (!token.ok) {
            return fail(plain(QStringLiteral("%1: %2"))
                            .arg(origin)
                            .arg(TranslatedText {token.errorString, token.userErrorString}));
        }
        m_config.token = token.token; // never logged
    } else if (key == kAcceptSuspicious) {
        const QString flag = value.trimmed().toLower();
        if (flag == QLatin1String("1") || flag == QLatin1String("true")
            || flag == QLatin1String("yes"))
            m_config.acceptSuspiciousFile = true;
        else if (flag == QLatin1String("0") || flag == QLatin1String("false")
            || flag == QLatin1String("no") || flag.isEmpty())
            m_config.acceptSuspiciousFile = false;
        else
            return bad(text(QT_TR_NOOP("1, true, yes, 0, false or no")));
    } else if (key == kCa) {
        if (!QFileInfo(value).isReadable())
            return bad(text(QT_TR_NOOP("a readable CA certificate file")));
        m_config.caFile = value;
    }
    return true;
}

bool AgencyConfigLoader::unknownKey(
    const TranslatedText &source, const QString &name, const QStringList &known, bool dotted)
{
    QString closest = closestSettingName(name, known, dotted ? u"" : u"CLI_");
    if (closest.isEmpty() && dotted) {
        // `adress:` at the top level, or under another parent: the key whose last part it
        // resembles (server.address), when that is the only one.
        QStringList leaves;
        for (const QString &key : known)
            leaves << leaf(key);
        const QString closestLeaf = closestSettingName(leaf(name), leaves);
        if (!closestLeaf.isEmpty() && leaves.count(closestLeaf) == 1)
            closest = known.at(leaves.indexOf(closestLeaf));
    }
    if (!closest.isEmpty()) {
        return fail(text(QT_TR_NOOP("%1: unknown key `%2`; did you mean `%3`?"))
                        .arg(source)
                        .arg(name)
                        .arg(closest));
    }
    return fail(text(QT_TR_NOOP("%1: unknown key `%2` (the keys: %3)"))
                    .arg(source)
                    .arg(name)
                    .arg((dotted ? yamlKeys() : known).join(QStringLiteral(", "))));
}

bool AgencyConfigLoader::checkYamlKeys(
    const QString &path, const YAML::Node &mapping, const QString &parent)
{
    for (auto it = mapping.begin(); it != mapping.end(); ++it) {
        const QString key = QString::fromStdString(it->first.Scalar());
        if (!it->first.IsScalar() || key.isEmpty())
            return fail(text(QT_TR_NOOP("%1: a key must be a plain name")).arg(path));
        const QString name = (parent.isEmpty() ? QString() : parent + QLatin1Char('.')) + key;
        if (key.contains(QLatin1Char('.'))) {
            // `server.address: x` would be read as nothing: the course's keys are nested.
            return fail(text(QT_TR_NOOP("%1: `%2`: the parts of a key go on their own lines, "
                                        "each under the one before (server:, then address:)"))
                            .arg(plain(path))
                            .arg(name));
        }
        if (yamlKeys().contains(name))
            continue; // its value is checked when applied
        if (courseOnlyKeys().contains(name)) {
            if (it->second.IsMap() || it->second.IsSequence())
                return fail(text(QT_TR_NOOP("%1: must be a single value"))
                                .arg(plain(QStringLiteral("%1: %2").arg(path, name))));
            continue;
        }
        QStringList children;
        for (const QString &key : yamlKeys() + courseOnlyKeys()) {
            if (key.startsWith(name + QLatin1Char('.')))
                children << QStringLiteral("`%1`").arg(key.mid(name.size() + 1));
        }
        if (children.isEmpty())
            return unknownKey(plain(path), name, knownYamlNames(), true);
        if (it->second.IsMap()) {
            if (!checkYamlKeys(path, it->second, name))
                return false;
        } else if (!it->second.IsNull()) { // `server:` alone is an empty mapping
            return fail(text(QT_TR_NOOP("%1: `%2` must be a mapping of %3, not a single value"))
                            .arg(plain(path))
                            .arg(name)
                            .arg(children.join(QStringLiteral(", "))));
        }
    }
    return true;
}

bool AgencyConfigLoader::loadYaml(const QString &path)
{
    // yaml-cpp reports problems by exceptions; none leaves this function.
    YAML::Node root;
    try {
        root = YAML::LoadFile(QFile::encodeName(path).toStdString());
    } catch (const YAML::BadFile &) {
        return fail(text(QT_TR_NOOP("%1: cannot read the file")).arg(path));
    } catch (const YAML::Exception &e) {
        return fail(text(QT_TR_NOOP("%1: line %2, column %3: %4"))
                        .arg(path)
                        .arg(e.mark.line + 1)
                        .arg(e.mark.column + 1)
                        .arg(QString::fromStdString(e.msg)));
    }
    if (root.IsNull())
        return true; // an empty file: defaults
    if (!root.IsMap())
        return fail(text(QT_TR_NOOP("%1: the top level must be a mapping of keys")).arg(path));
    try {
        if (!checkYamlKeys(path, root, QString()))
            return false;
    } catch (const YAML::Exception &e) {
        return fail(plain(QStringLiteral("%1: %2")).arg(path).arg(QString::fromStdString(e.msg)));
    }
    for (const QString &key : yamlKeys()) {
        const TranslatedText origin = plain(QStringLiteral("%1: %2").arg(path, key));
        try {
            const std::optional<YAML::Node> node = lookup(root, key.split(QLatin1Char('.')));
            if (!node)
                continue;
            if (!node->IsScalar())
                return fail(text(QT_TR_NOOP("%1: must be a single value")).arg(origin));
            if (!apply(key, QString::fromStdString(node->Scalar()), origin))
                return false;
        } catch (const YAML::Exception &e) {
            return fail(
                plain(QStringLiteral("%1: %2")).arg(origin).arg(QString::fromStdString(e.msg)));
        }
    }
    return true;
}

AgencyConfigLoader::Status AgencyConfigLoader::load(
    const QStringList &arguments, const QProcessEnvironment &environment)
{
    m_config = AgencyCliConfig {};
    m_dataFileSet = false;
    m_error = {};

    QCommandLineParser parser;
    parser.setApplicationDescription(
        tr("Uploads one agency's bets to the lottery server and prints its winners.\n"
           "Settings: config.yaml, then CLI_* environment variables, then flags."));
    const QCommandLineOption help(
        {QStringLiteral("h"), QStringLiteral("help")}, tr("Show this help."));
    const QCommandLineOption config(
        QStringLiteral("config"), tr("YAML settings (default ./config.yaml)."), tr("file"));
    const QCommandLineOption agency(
        QStringLiteral("agency"), tr("Agency number (config id, CLI_ID)."), QStringLiteral("n"));
    const QCommandLineOption server(QStringLiteral("server"),
        tr("Server address, or a list a:PORT,b:PORT to fail over along in order "
           "(config server.address, CLI_SERVER_ADDRESS)."),
        tr("host:port[,host:port...]"));
    const QCommandLineOption file(QStringLiteral("file"),
        tr("Bets CSV (config data.file, CLI_DATA_FILE; default .data/agency-ID.csv)."), tr("path"));
    const QCommandLineOption batchMax(QStringLiteral("batch-max"),
        tr("Bets per batch (config batch.maxAmount, CLI_BATCH_MAXAMOUNT)."), QStringLiteral("n"));
    const QCommandLineOption logLevel(QStringLiteral("log-level"),
        tr("DEBUG, INFO, WARNING or ERROR (config log.level, CLI_LOG_LEVEL)."), tr("level"));
    const QCommandLineOption connectTimeout(QStringLiteral("connect-timeout"),
        tr("Seconds to keep retrying the connection (default 30)."), QStringLiteral("s"));
    const QCommandLineOption reconnectTimeout(QStringLiteral("reconnect-timeout"),
        tr("Seconds to keep reconnecting after a lost connection, 0 for never "
           "(config reconnect.timeout, CLI_RECONNECT_TIMEOUT; default 60)."),
        QStringLiteral("s"));
    const QCommandLineOption window(QStringLiteral("window"),
        tr("Unacknowledged batches in flight (default 128)."), QStringLiteral("n"));
    const QCommandLineOption ca(QStringLiteral("ca"),
        tr("PEM CA to verify the server with; turns TLS on (config ca, CLI_CA)."), tr("file"));
    const QCommandLineOption tokenFile(QStringLiteral("token-file"),
        tr("File holding the agency's token (config tokenFile, CLI_TOKEN_FILE)."), tr("file"));
    const QCommandLineOption token(QStringLiteral("token"),
        tr("The agency's token (config token, CLI_TOKEN). Visible to other local "
           "users in `ps`: prefer --token-file."),
        tr("secret"));
    const QCommandLineOption receipt(QStringLiteral("receipt"),
        tr("Write the server's receipt for this agency's stored bets to this file "
           "(config receipt.file, CLI_RECEIPT_FILE)."),
        tr("file"));
    const QCommandLineOption noProgress(QStringLiteral("no-progress"),
        tr("Log lines only, also on a terminal (without it, a terminal on stderr shows a "
           "progress bar)."));
    const QCommandLineOption lang(QStringLiteral("lang"),
        tr("Language of the messages to a person: es or en (default: the system's). Log lines "
           "are always the same."),
        QStringLiteral("es|en"));
    const QCommandLineOption acceptSuspicious(kAcceptSuspicious,
        tr("Send the file even if it looks wrong (not UTF-8, ';'-separated, a header row, no "
           "valid rows or many invalid ones); without it such a file is refused and nothing is "
           "sent (CLI_ACCEPT_SUSPICIOUS_FILE=1)."));
    parser.addOptions(
        {help, config, agency, server, file, batchMax, logLevel, connectTimeout, reconnectTimeout,
            window, ca, tokenFile, token, receipt, noProgress, lang, acceptSuspicious});
    m_helpText = parser.helpText();
    if (!parser.parse(arguments)) {
        fail(plain(parser.errorText()));
        return Status::Error;
    }
    if (parser.isSet(help))
        return Status::Help;
    if (!parser.positionalArguments().isEmpty()) {
        fail(
            text(QT_TR_NOOP("unexpected argument '%1'")).arg(parser.positionalArguments().first()));
        return Status::Error;
    }

    // An explicitly named file must exist; the default one is optional.
    if (parser.isSet(config)) {
        const QString path = parser.value(config);
        if (!QFileInfo(path).isFile()) {
            fail(text(QT_TR_NOOP("%1: no such file (named with --config)")).arg(path));
            return Status::Error;
        }
        if (!loadYaml(path))
            return Status::Error;
        m_config.configFile = path;
    } else if (QFileInfo(kDefaultConfigFile).isFile()) {
        if (!loadYaml(kDefaultConfigFile))
            return Status::Error;
        m_config.configFile = kDefaultConfigFile;
    }

    // Every CLI_* variable is one of ours: a misspelled one would leave its setting at the
    // default without a word (the Compose files configure the agencies this way).
    QStringList variables = environment.keys();
    variables.sort(); // the same error whatever the order of the environment
    for (const QString &variable : std::as_const(variables)) {
        if (variable.startsWith(QLatin1String("CLI_")) && !environmentNames().contains(variable)) {
            unknownKey(text(QT_TR_NOOP("environment")), variable, environmentNames(), false);
            return Status::Error;
        }
    }
    for (const EnvironmentName &name : kEnvironment) {
        const QString variable = QString::fromLatin1(name.variable);
        if (!environment.contains(variable))
            continue;
        const TranslatedText origin = text(QT_TR_NOOP("environment %1")).arg(variable);
        if (!apply(name.key, environment.value(variable), origin))
            return Status::Error;
    }

    const std::pair<const QCommandLineOption &, const QString &> flags[] = {
        {agency, kId},
        {server, kServer},
        {file, kDataFile},
        {batchMax, kBatchMax},
        {logLevel, kLogLevel},
        {connectTimeout, kConnectTimeout},
        {reconnectTimeout, kReconnectTimeout},
        {window, kWindow},
        {ca, kCa},
        {tokenFile, kTokenFile},
        {token, kToken},
        {receipt, kReceiptFile},
    };
    for (const auto &[option, key] : flags) {
        if (!parser.isSet(option))
            continue;
        const TranslatedText origin
            = plain(QStringLiteral("--%1").arg(option.names().constFirst()));
        if (!apply(key, parser.value(option), origin))
            return Status::Error;
    }

    if (parser.isSet(acceptSuspicious))
        m_config.acceptSuspiciousFile = true;

    if (m_config.agency == 0) {
        fail(text(QT_TR_NOOP("the agency number is not set (config id, CLI_ID or --agency)")));
        return Status::Error;
    }
    m_config.progress = !parser.isSet(noProgress);
    if (parser.isSet(lang) && !parseLanguage(parser.value(lang))) {
        fail(text(QT_TR_NOOP("--lang must be es or en, not '%1'")).arg(parser.value(lang)));
        return Status::Error;
    }
    if (!m_dataFileSet)
        m_config.dataFile = QStringLiteral(".data/agency-%1.csv").arg(m_config.agency);
    return Status::Ok;
}

} // namespace lottery::agency
