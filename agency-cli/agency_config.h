// The agency CLI's settings: defaults, then config.yaml, then CLI_* environment variables, then
// command-line flags, each overriding the one before. Every bad value is an error that names where
// it came from (file and key, variable or flag) and what is wrong with it.
#pragma once

#include "common/log.h"
#include "lottery/agency/agency_session.h"
#include "lottery/agency/server_address.h"

#include <QCoreApplication>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace YAML {
class Node;
}

namespace lottery::agency {

struct AgencyCliConfig {
    quint32 agency = 0; // required: config `id`, CLI_ID or --agency
    // server.address: one HOST:PORT or a list "a:12345,b:12345" to fail over along, in order.
    QList<ServerAddress> servers {ServerAddress {QStringLiteral("server"), 12345}}; // compose name
    LogLevel logLevel = LogLevel::Info;
    int batchMaxBets = 100;
    QString dataFile; // default: .data/agency-{ID}.csv
    QString receiptFile; // where the receipt goes at the end (protocol version 2); empty: none
    int window = 128;
    int connectTimeoutSeconds = 30;
    // After a lost connection or a server restart, keep reconnecting this long (0: never).
    int reconnectTimeoutSeconds = 60;
    // The agency's secret: config `token`/`tokenFile`, CLI_TOKEN/CLI_TOKEN_FILE, --token-file,
    // or --token (which any local user can read in `ps`: prefer the file).
    QString token;
    QString caFile; // config `ca`, CLI_CA, --ca: PEM CA; set means TLS to the server
    QString configFile; // the file that was read; empty when none
    bool progress = true; // --no-progress: log lines only, even on a terminal
    // --accept-suspicious-file, CLI_ACCEPT_SUSPICIOUS_FILE: send a file that BetFileInspector
    // finds suspicious (docs/PROTOCOL.md, 10.9) instead of refusing it. Never from config.yaml:
    // a file decides it for one run, not a setting for every run.
    bool acceptSuspiciousFile = false;

    QString serverAddress() const; // "a:1,b:2"
    AgencySessionOptions sessionOptions() const;
};

// A message both in English, for the log line (an interface, never translated), and in the
// language of the person reading the terminal.
struct TranslatedText {
    QString english;
    QString local;

    TranslatedText arg(const TranslatedText &a) const
    {
        return {english.arg(a.english), local.arg(a.local)};
    }
    TranslatedText arg(const QString &a) const { return {english.arg(a), local.arg(a)}; }
    TranslatedText arg(qint64 a) const { return {english.arg(a), local.arg(a)}; }
};

class AgencyConfigLoader
{
    Q_DECLARE_TR_FUNCTIONS(AgencyConfigLoader)

public:
    enum class Status { Ok, Help, Error };

    // `arguments` includes the program name, as QCoreApplication::arguments(). A relative
    // config.yaml is looked up in the working directory.
    Status load(const QStringList &arguments, const QProcessEnvironment &environment);

    const AgencyCliConfig &config() const { return m_config; }
    QString errorString() const { return m_error.english; } // for the log line
    QString userErrorString() const { return m_error.local; } // for a person
    QString helpText() const { return m_helpText; }

private:
    bool loadYaml(const QString &path);
    // Every key of `mapping` (under the dotted `parent`) is a known one or leads to one.
    bool checkYamlKeys(const QString &path, const YAML::Node &mapping, const QString &parent);
    // "unknown key `X`; did you mean `Y`?" (or the list of keys); always false. `dotted`: YAML
    // keys (also matched by their last part), else CLI_* variables.
    bool unknownKey(
        const TranslatedText &source, const QString &name, const QStringList &known, bool dotted);
    bool apply(const QString &key, const QString &value, const TranslatedText &origin);
    bool fail(const TranslatedText &message);
    // `source` marked with QT_TR_NOOP: English as written, and its translation.
    static TranslatedText text(const char *source);
    static TranslatedText plain(const QString &value) { return {value, value}; }

    AgencyCliConfig m_config;
    bool m_dataFileSet = false;
    TranslatedText m_error;
    QString m_helpText;
};

} // namespace lottery::agency
