// What the user fills in, remembered between runs with QSettings.
#pragma once

#include <QString>

#include <optional>

class QSettings;

namespace lottery::gui {

struct UploadSettings {
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 12345;
    quint32 agency = 1;
    QString dataFile;
    int batchSize = 100; // bets per BATCH (the course's batch.maxAmount)
    // A secured server (docs/SECURITY.md): the CA to verify it with (TLS), the file holding the
    // agency's token. Paths only: the token itself is never stored in the settings.
    QString caFile;
    QString tokenFile;

    static UploadSettings load(const QSettings &settings);
    void save(QSettings &settings) const;

    bool operator==(const UploadSettings &o) const
    {
        return host == o.host && port == o.port && agency == o.agency && dataFile == o.dataFile
            && batchSize == o.batchSize && caFile == o.caFile && tokenFile == o.tokenFile;
    }
};

struct ServerAddress {
    QString host;
    quint16 port = 0;
};

// "HOST:PORT" or "[IPv6]:PORT"; nullopt with `error` set when it is neither.
std::optional<ServerAddress> parseServerAddress(const QString &text, QString *error = nullptr);

} // namespace lottery::gui
