// What the server's main thread knows at one instant that the metrics do not: its sessions, its
// listener, its shutdown phase, the tasks in the pool. Built by LotteryServer::statusSnapshot() in
// the main thread (cheap: one pass over the sessions), read by the admin endpoint, which runs in
// the same thread. Counts only.
#pragma once

#include <QHash>
#include <QString>

namespace lottery::server {

struct StatusSnapshot {
    quint32 agenciesExpected = 0;
    bool storageOpen = false;
    bool listening = false;
    bool shuttingDown = false;
    int tasksInFlight = 0; // batch and DONE tasks in the pool
    int uploadSlotsInUse = 0; // sessions allowed to read batches now (SERVER_UPLOAD_SLOTS)
    int uploadSlotsWaiting = 0; // sessions whose batches wait in the kernel for a slot
    qint64 uploadBufferBytes = 0; // read buffer the slot holders reserve together
    qint64 uploadBufferLimitBytes = 0; // SERVER_UPLOAD_BUFFER_MB
    int tokenChecksPending = 0; // HELLOs queued for or in their token check
    QString storagePath; // bets.csv; its journal is beside it
    QString journalPath;

    // Connections by state: before an accepted HELLO, authenticated, parked until the draw.
    int sessionsHandshake = 0;
    int sessionsActive = 0;
    int sessionsWaitingForDraw = 0;
    QHash<quint32, int> sessionsByAgency; // authenticated connections of each agency

    int sessionCount() const { return sessionsHandshake + sessionsActive + sessionsWaitingForDraw; }

    void addSession(quint32 agency, bool waitingForDraw)
    {
        if (agency == 0) {
            ++sessionsHandshake;
            return;
        }
        ++sessionsByAgency[agency];
        if (waitingForDraw)
            ++sessionsWaitingForDraw;
        else
            ++sessionsActive;
    }
};

} // namespace lottery::server
