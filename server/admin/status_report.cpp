#include "server/admin/status_report.h"

#include "common/bet_digest.h"
#include "server/storage/bet_store.h"

#include <QJsonDocument>

#include <QDateTime>
#include <QJsonArray>
#include <QList>

#include <algorithm>

namespace lottery::server {

namespace {

QJsonValue isoTime(qint64 epochMs);

} // namespace

QByteArray salesCloseJson(const SalesClose &close, bool firstTime)
{
    static const char *const reasons[] = {"", "todas_las_agencias", "horario", "operador"};
    const auto reason = static_cast<std::size_t>(close.reason);
    QJsonObject document;
    document.insert(QStringLiteral("closed"), true);
    document.insert(QStringLiteral("closed_now"), firstTime);
    document.insert(QStringLiteral("reason"),
        QLatin1String(reason < std::size(reasons) ? reasons[reason] : "desconocido"));
    document.insert(QStringLiteral("closed_at"), isoTime(close.closedAtMs));
    document.insert(QStringLiteral("agencies_done"), static_cast<qint64>(close.agenciesDone));
    document.insert(QStringLiteral("bets"), static_cast<qint64>(close.totalBets));
    document.insert(QStringLiteral("seal"), digestHex(close.root));
    return QJsonDocument(document).toJson(QJsonDocument::Compact);
}

QByteArray agencySwitchJson(quint32 agency, bool enabled, const AgencySwitchDecision &decision)
{
    QJsonObject document;
    document.insert(QStringLiteral("agency"), static_cast<qint64>(agency));
    document.insert(QStringLiteral("disabled"), !enabled);
    document.insert(
        QStringLiteral("changed"), decision.kind == AgencySwitchDecision::Kind::Switched);
    return QJsonDocument(document).toJson(QJsonDocument::Compact);
}

namespace {

QJsonValue isoTime(qint64 epochMs)
{
    if (epochMs <= 0)
        return QJsonValue::Null;
    return QDateTime::fromMSecsSinceEpoch(epochMs, Qt::UTC).toString(Qt::ISODateWithMs);
}

QJsonObject countsByCode(const QMap<QString, quint64> &counts)
{
    QJsonObject object;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        object.insert(it.key(), static_cast<qint64>(it.value()));
    return object;
}

// not_connected / uploading / disabled / done / winners: what the dashboard colours a row by.
QString agencyState(const ServerMetrics::Agency &agency, int sessions, bool disabled)
{
    if (agency.winners > 0)
        return QStringLiteral("winners");
    if (agency.done)
        return QStringLiteral("done");
    if (disabled)
        return QStringLiteral("disabled");
    if (sessions > 0)
        return QStringLiteral("uploading");
    return QStringLiteral("not_connected");
}

} // namespace

Readiness readiness(const StatusSnapshot &status, const ServerMetrics::Snapshot &metrics)
{
    if (status.staleMs > 0) {
        return {false,
            QStringLiteral("the main thread has not answered for %1 ms").arg(status.staleMs)};
    }
    if (status.shuttingDown)
        return {false, QStringLiteral("shutting down")};
    if (!status.storageOpen)
        return {false, QStringLiteral("storage is not open")};
    if (!metrics.storageFailure.isEmpty())
        return {false, QStringLiteral("storage failed: %1").arg(metrics.storageFailure)};
    if (!status.listening)
        return {false, QStringLiteral("not listening for agencies")};
    return {true, QString()};
}

QJsonObject statusDocument(const StatusSnapshot &status, const ServerMetrics::Snapshot &metrics,
    const ProcessMetrics &process, quint64 storageBytes)
{
    // Which agencies get a row: all the expected ones when there are few, else those that did
    // something (stored, connected) — at most kMaxListedAgencies.
    QList<quint32> ids;
    if (status.agenciesExpected <= static_cast<quint32>(kMaxListedAgencies)) {
        for (quint32 id = 1; id <= status.agenciesExpected; ++id)
            ids.append(id);
    } else {
        ids = metrics.agencies.keys();
        for (auto it = status.sessionsByAgency.cbegin(); it != status.sessionsByAgency.cend();
             ++it) {
            if (!metrics.agencies.contains(it.key()))
                ids.append(it.key());
        }
        for (quint32 id : status.disabledAgencies) {
            if (!metrics.agencies.contains(id) && !status.sessionsByAgency.contains(id))
                ids.append(id);
        }
        std::sort(ids.begin(), ids.end());
    }
    const bool truncated = ids.size() > kMaxListedAgencies;
    if (truncated)
        ids = ids.mid(0, kMaxListedAgencies);

    QJsonArray agencies;
    for (quint32 id : std::as_const(ids)) {
        const ServerMetrics::Agency agency = metrics.agencies.value(id);
        const int sessions = status.sessionsByAgency.value(id);
        QJsonObject row;
        row.insert(QStringLiteral("agency"), static_cast<qint64>(id));
        const bool disabled = status.disabledAgencies.contains(id);
        row.insert(QStringLiteral("state"), agencyState(agency, sessions, disabled));
        row.insert(QStringLiteral("disabled"), disabled);
        row.insert(QStringLiteral("sessions"), sessions);
        row.insert(QStringLiteral("bets_stored"), static_cast<qint64>(agency.betsStored));
        row.insert(QStringLiteral("batches"), static_cast<qint64>(agency.batchesStored));
        row.insert(QStringLiteral("duplicates"), static_cast<qint64>(agency.duplicates));
        row.insert(QStringLiteral("rejected"), static_cast<qint64>(agency.rejected));
        row.insert(QStringLiteral("last_batch_time"), isoTime(agency.lastBatchMs));
        row.insert(QStringLiteral("done"), agency.done);
        row.insert(QStringLiteral("winners"),
            agency.winners < 0 ? QJsonValue(QJsonValue::Null) : QJsonValue(agency.winners));
        agencies.append(row);
    }

    quint64 batches = 0;
    quint64 done = 0;
    for (const ServerMetrics::Agency &agency : metrics.agencies) {
        batches += agency.batchesStored;
        done += agency.done ? 1 : 0;
    }
    const Readiness ready = readiness(status, metrics);

    QJsonObject server;
    server.insert(QStringLiteral("ready"), ready.ready);
    server.insert(QStringLiteral("not_ready_reason"),
        ready.ready ? QJsonValue(QJsonValue::Null) : QJsonValue(ready.reason));
    server.insert(QStringLiteral("listening"), status.listening);
    server.insert(QStringLiteral("shutting_down"), status.shuttingDown);
    server.insert(QStringLiteral("storage_open"), status.storageOpen);
    server.insert(QStringLiteral("storage_failed"), !metrics.storageFailure.isEmpty());
    server.insert(QStringLiteral("tasks_in_flight"), status.tasksInFlight);
    server.insert(QStringLiteral("upload_slots_in_use"), status.uploadSlotsInUse);
    server.insert(QStringLiteral("upload_slots_waiting"), status.uploadSlotsWaiting);
    server.insert(QStringLiteral("upload_buffer_bytes"), status.uploadBufferBytes);
    server.insert(QStringLiteral("started_at"), isoTime(metrics.startedAtMs));
    server.insert(QStringLiteral("uptime_seconds"),
        static_cast<double>(metrics.takenAtMs - metrics.startedAtMs) / 1000.0);
    server.insert(QStringLiteral("resident_memory_bytes"), process.residentBytes);
    server.insert(QStringLiteral("open_fds"), process.openFds);

    QJsonObject sessions;
    sessions.insert(QStringLiteral("handshake"), status.sessionsHandshake);
    sessions.insert(QStringLiteral("active"), status.sessionsActive);
    sessions.insert(QStringLiteral("waiting_for_draw"), status.sessionsWaitingForDraw);
    sessions.insert(QStringLiteral("total"), status.sessionCount());

    QJsonObject totals;
    totals.insert(
        QStringLiteral("agencies_expected"), static_cast<qint64>(status.agenciesExpected));
    totals.insert(
        QStringLiteral("agencies_connected"), static_cast<qint64>(status.sessionsByAgency.size()));
    totals.insert(QStringLiteral("agencies_done"), static_cast<qint64>(done));
    totals.insert(
        QStringLiteral("agencies_disabled"), static_cast<qint64>(status.disabledAgencies.size()));
    totals.insert(QStringLiteral("bets_stored"), static_cast<qint64>(metrics.betsStored));
    totals.insert(QStringLiteral("batches_stored"), static_cast<qint64>(batches));
    totals.insert(QStringLiteral("storage_bytes"), static_cast<qint64>(storageBytes));
    QJsonObject byResult;
    for (int i = 0; i < ServerMetrics::kBatchResults; ++i) {
        byResult.insert(ServerMetrics::toString(static_cast<ServerMetrics::BatchResult>(i)),
            static_cast<qint64>(metrics.batches[static_cast<std::size_t>(i)]));
    }
    totals.insert(QStringLiteral("batches_by_result"), byResult);

    // The rate: the whole seconds before the current, partial one.
    const std::vector<quint64> &history = metrics.betsPerSecond;
    quint64 recent = 0;
    const std::size_t whole = history.empty() ? 0 : history.size() - 1;
    for (std::size_t i = whole - std::min<std::size_t>(whole, kRateWindowSeconds); i < whole; ++i)
        recent += history[i];
    QJsonArray chart;
    for (std::size_t i
         = history.size() - std::min<std::size_t>(history.size(), kStatusHistorySeconds);
         i < history.size(); ++i)
        chart.append(static_cast<qint64>(history[i]));
    QJsonObject ingest;
    ingest.insert(
        QStringLiteral("bets_per_second"), static_cast<double>(recent) / kRateWindowSeconds);
    ingest.insert(QStringLiteral("window_seconds"), kRateWindowSeconds);
    ingest.insert(QStringLiteral("history"), chart);
    ingest.insert(QStringLiteral("history_end"), isoTime(metrics.takenAtMs / 1000 * 1000));

    QJsonObject draw;
    draw.insert(QStringLiteral("state"), ServerMetrics::toString(metrics.draw));
    draw.insert(QStringLiteral("agencies_done"), static_cast<qint64>(done));
    draw.insert(QStringLiteral("agencies_expected"), static_cast<qint64>(status.agenciesExpected));
    draw.insert(QStringLiteral("winners"), static_cast<qint64>(metrics.drawWinners));
    draw.insert(QStringLiteral("bets"), static_cast<qint64>(metrics.drawBets));
    draw.insert(QStringLiteral("duration_ms"), metrics.drawMs);
    // A pass that found agencies still selling leaves the draw waiting: no finish time then.
    const bool finished = metrics.draw == ServerMetrics::DrawState::Completed
        || metrics.draw == ServerMetrics::DrawState::Failed;
    draw.insert(QStringLiteral("finished_at"),
        finished ? isoTime(metrics.drawFinishedAtMs) : QJsonValue(QJsonValue::Null));

    QJsonArray recentErrors;
    for (auto it = metrics.recentErrors.crbegin(); it != metrics.recentErrors.crend(); ++it) {
        QJsonObject error;
        error.insert(QStringLiteral("time"), isoTime(it->atMs));
        error.insert(QStringLiteral("agency"),
            it->agency == 0 ? QJsonValue(QJsonValue::Null)
                            : QJsonValue(static_cast<qint64>(it->agency)));
        // A refused HELLO's agency number: the operator sees which shop (or impostor) it was.
        error.insert(QStringLiteral("claimed_agency"),
            it->claimedAgency == 0 ? QJsonValue(QJsonValue::Null)
                                   : QJsonValue(static_cast<qint64>(it->claimedAgency)));
        error.insert(QStringLiteral("code"), it->code);
        error.insert(QStringLiteral("source"), it->source);
        error.insert(QStringLiteral("peer"),
            it->peer.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(it->peer));
        recentErrors.append(error);
    }
    QJsonObject errors;
    errors.insert(QStringLiteral("session_errors_by_code"), countsByCode(metrics.errorsByCode));
    errors.insert(QStringLiteral("rejections_by_code"), countsByCode(metrics.rejectionsByCode));
    errors.insert(QStringLiteral("recent"), recentErrors);

    QJsonObject document;
    document.insert(QStringLiteral("time"), isoTime(metrics.takenAtMs));
    document.insert(QStringLiteral("server"), server);
    document.insert(QStringLiteral("sessions"), sessions);
    document.insert(QStringLiteral("totals"), totals);
    document.insert(QStringLiteral("ingest"), ingest);
    document.insert(QStringLiteral("draw"), draw);
    QJsonObject sales;
    sales.insert(QStringLiteral("state"),
        status.salesClosed ? QStringLiteral("closed") : QStringLiteral("open"));
    sales.insert(QStringLiteral("close_supported"), status.closeSupported);
    sales.insert(QStringLiteral("scheduled_close"),
        status.salesCloseScheduled.isEmpty() ? QJsonValue()
                                             : QJsonValue(status.salesCloseScheduled));
    if (status.salesClosed) {
        sales.insert(QStringLiteral("reason"), status.closeReason);
        sales.insert(QStringLiteral("closed_at"), isoTime(status.closedAtMs));
        sales.insert(
            QStringLiteral("agencies_done"), static_cast<qint64>(status.closeAgenciesDone));
        sales.insert(QStringLiteral("bets"), static_cast<qint64>(status.closeBets));
        sales.insert(QStringLiteral("seal"), status.seal);
    }
    document.insert(QStringLiteral("sales"), sales);
    document.insert(QStringLiteral("errors"), errors);
    document.insert(QStringLiteral("agencies"), agencies);
    document.insert(QStringLiteral("agencies_truncated"), truncated);
    return document;
}

} // namespace lottery::server
