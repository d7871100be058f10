// What the user fills in, remembered between runs with QSettings.
#pragma once

#include "lottery/agency/server_address.h"

#include <QList>
#include <QString>

#include <optional>

class QSettings;

namespace lottery::gui {

struct UploadSettings {
    // One host (with `port`), or a list "a:12345,b:12345" of servers to fail over along.
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

using agency::parseServerAddress;
using agency::parseServerList;
using agency::ServerAddress;

// The servers the fields name: `host` is one host, "host:port", or a list "a:1,b:2" to fail
// over along; an entry without a port takes `port`. `error`: why not, in the person's language.
std::optional<QList<ServerAddress>> serversOf(
    const UploadSettings &settings, QString *error = nullptr);

} // namespace lottery::gui
