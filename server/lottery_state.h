// The state the main thread and the workers share: per-agency progress (last durable batch
// sequence, stored bets, DONE), which agency has a write in flight, and the draw result.
// One QMutex guards all of it; nothing here blocks except claimAgency().
#pragma once

#include <QDeadlineTimer>
#include <QHash>
#include <QMutex>
#include <QSet>
#include <QWaitCondition>

#include <optional>
#include <string>
#include <vector>

namespace lottery::server {

struct AgencyProgress {
    quint64 lastSequence = 0; // last batch sequence durably stored (0: none)
    quint64 storedBets = 0; // bets durably stored
    bool done = false; // DONE durably recorded
};

using WinnersByAgency = QHash<quint32, std::vector<std::string>>;

class LotteryState
{
public:
    explicit LotteryState(quint32 expectedAgencies);

    // Seeds the state from the storage's recovery, before any session exists.
    void restore(const QHash<quint32, AgencyProgress> &agencies);

    AgencyProgress progress(quint32 agency) const;

    enum class ClaimResult { Claimed, Stopped, TimedOut };
    // Makes this worker the only writer for `agency`. Normally free at once: a session has at
    // most one task in flight; it is only contended when a superseded session's batch is still
    // being stored while the new session's batch arrives.
    ClaimResult claimAgency(quint32 agency, QDeadlineTimer deadline);
    // Records a durably stored batch (or just releases the claim when `stored` is false).
    void releaseAgency(quint32 agency, quint64 storedSequence = 0, quint64 storedBets = 0);
    // Records a durable DONE and releases the claim.
    void markDone(quint32 agency);

    // True when every agency 1..expected has sent DONE.
    bool allDone() const;
    // True exactly once, for the caller that must run the draw (all agencies done).
    bool tryStartDraw();
    void setDrawResult(WinnersByAgency winners);
    // Empty until the draw has completed.
    std::optional<std::vector<std::string>> winners(quint32 agency) const;
    bool drawCompleted() const;

    // Wakes every waiter and makes further claims fail: the server is stopping.
    void requestStop();

private:
    bool allDoneLocked() const;

    mutable QMutex m_mutex;
    QWaitCondition m_released;
    const quint32 m_expectedAgencies;
    QHash<quint32, AgencyProgress> m_agencies;
    QSet<quint32> m_claimed;
    bool m_drawStarted = false;
    bool m_drawCompleted = false;
    WinnersByAgency m_winners;
    bool m_stopping = false;
};

} // namespace lottery::server
