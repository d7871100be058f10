#include "upload_settings.h"

#include <QCoreApplication>
#include <QSettings>

namespace lottery::gui {

namespace {

constexpr int kMaxBatchSize = 0xFFFF; // a BATCH carries a u16 count

} // namespace

UploadSettings UploadSettings::load(const QSettings &settings)
{
    UploadSettings s;
    s.host = settings.value(QStringLiteral("server/host"), s.host).toString();
    const uint port = settings.value(QStringLiteral("server/port"), s.port).toUInt();
    if (port >= 1 && port <= 65535)
        s.port = static_cast<quint16>(port);
    const uint agency = settings.value(QStringLiteral("agency/number"), s.agency).toUInt();
    if (agency >= 1)
        s.agency = agency;
    s.dataFile = settings.value(QStringLiteral("agency/file")).toString();
    const int batch = settings.value(QStringLiteral("upload/batchSize"), s.batchSize).toInt();
    if (batch >= 1 && batch <= kMaxBatchSize)
        s.batchSize = batch;
    s.caFile = settings.value(QStringLiteral("security/caFile")).toString();
    s.tokenFile = settings.value(QStringLiteral("security/tokenFile")).toString();
    return s;
}

void UploadSettings::save(QSettings &settings) const
{
    settings.setValue(QStringLiteral("server/host"), host);
    settings.setValue(QStringLiteral("server/port"), port);
    settings.setValue(QStringLiteral("agency/number"), agency);
    settings.setValue(QStringLiteral("agency/file"), dataFile);
    settings.setValue(QStringLiteral("upload/batchSize"), batchSize);
    settings.setValue(QStringLiteral("security/caFile"), caFile);
    settings.setValue(QStringLiteral("security/tokenFile"), tokenFile);
    settings.sync();
}

std::optional<QList<ServerAddress>> serversOf(const UploadSettings &settings, QString *error)
{
    return parseServerList(settings.host, nullptr, settings.port, error);
}

} // namespace lottery::gui
