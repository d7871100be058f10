// The documents the admin endpoint builds from one StatusSnapshot and one metrics snapshot:
// readiness (GET /readyz) and the status JSON (GET /api/status, the dashboard's data).
#pragma once

#include "server/admin/process_metrics.h"
#include "server/admin/server_metrics.h"
#include "server/status_snapshot.h"

#include <QJsonObject>
#include <QString>

namespace lottery::server {

struct SalesClose;
struct AgencySwitchDecision;

// POST /api/sales/close's answer: the close (reason, time, counts, seal) and whether this request
// made it (false: sales were closed already).
QByteArray salesCloseJson(const SalesClose &close, bool firstTime);
// The answer of POST /api/agencies/<n>/disable|enable once the switch is durable.
QByteArray agencySwitchJson(quint32 agency, bool enabled, const AgencySwitchDecision &decision);

struct Readiness {
    bool ready = false;
    QString reason; // why not, for the 503 body and the operator
};

Readiness readiness(const StatusSnapshot &status, const ServerMetrics::Snapshot &metrics);

// At most this many agencies are listed one by one (the table of a dashboard, not a dump).
constexpr int kMaxListedAgencies = 1000;
// The ingest rate is the mean over this many whole seconds.
constexpr int kRateWindowSeconds = 5;
// Seconds of bets-per-second history the status carries for the chart.
constexpr int kStatusHistorySeconds = 300;

QJsonObject statusDocument(const StatusSnapshot &status, const ServerMetrics::Snapshot &metrics,
    const ProcessMetrics &process, quint64 storageBytes);

} // namespace lottery::server
