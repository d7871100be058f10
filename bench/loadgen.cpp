// lottery-loadgen: many agencies at once from ONE process, against the real lottery-server.
//
//   lottery-loadgen [--curve 5,100,1000,2500,5000,10000] [--total-bets T | --bets M]
//                   [--window 128] [--batch 100] [--workers W] [--rounds R] [--bin DIR]
//                   [--work DIR] [--strict] [--json]
//
// For each point of the curve it starts a fresh lottery-server (port 0, SERVER_MAX_CONNECTIONS and
// SERVER_LISTEN_BACKLOG raised for the run), connects N sessions (HELLO, WELCOME), then lets every
// session upload at once: BATCH frames of `batch` bets with up to `window` unacknowledged, DONE and
// GET_WINNERS right behind the last BATCH (as the agency library sends them; --strict: DONE after
// the last ACK, GET_WINNERS after DONE_ACK, three round trips), and checks each agency's WINNERS
// against the bets it sent. It is a lean client of the protocol (epoll, one thread, every frame
// encoded once before the clock starts and shared by the agencies, which all send the same bets),
// so that its own CPU, printed beside the server's, stays well below the server's. Figures are of
// the upload phase (all sessions welcomed -> the last one has its winners); the connection phase is
// reported apart.
#include "lottery/protocol/codec.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sstream>
#include <string>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace protocol = lottery::protocol;

namespace {

struct Options {
    std::vector<int> curve {5, 100, 1000, 2500, 5000, 10000};
    long long totalBets = 2000000; // per point, split evenly over its agencies
    long long betsPerAgency = 0; // set: every point sends this many per agency instead
    int window = 128;
    int batch = 100;
    int workers = 0;
    int timeoutSeconds = 600;
    std::string binDir;
    std::string workDir;
    bool json = false;
    bool strict = false; // DONE only after the last ACK, GET_WINNERS only after DONE_ACK
    // The curve this many times, interleaved (every point once per round); each point reports
    // its run of median server CPU, so one noisy run does not make the ratio.
    int rounds = 1;
};

double now()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

double selfCpuSeconds()
{
    rusage usage {};
    ::getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// utime + stime of a live process, from /proc/PID/stat (fields 14 and 15, in clock ticks).
double processCpuSeconds(pid_t pid)
{
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const std::size_t close = text.rfind(')'); // the command name may hold spaces
    if (close == std::string::npos)
        return -1;
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    double ticks = 0;
    for (int index = 3; fields >> field; ++index) {
        if (index == 14 || index == 15)
            ticks += std::stod(field);
        if (index == 15)
            break;
    }
    return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

long long statusKib(pid_t pid, const char *key)
{
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    const std::string prefix = std::string(key) + ":";
    while (std::getline(status, line)) {
        if (line.rfind(prefix, 0) == 0)
            return std::atoll(line.c_str() + prefix.size());
    }
    return -1;
}

void raiseOpenFileLimit()
{
    rlimit limit {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

// The bets every agency sends (the same for all: one encoding, shared), and their winners.
struct Workload {
    std::string stream; // every BATCH frame, in order, sequences 1..batches; then the trailer
    std::vector<std::size_t> frameEnd; // frameEnd[b]: end of frame b in `stream`
    // Pipelined: DONE and GET_WINNERS follow the last BATCH in `stream` (sent with it).
    bool pipelined = false;
    std::vector<std::string> winners; // documents numbered kWinningNumber, in order
    long long bets = 0;
};

Workload buildWorkload(long long bets, int batchSize, bool pipelined)
{
    static const char *const kFirst[] = {"Ana", "Luis", "María José", "Santiago", "Valentina"};
    static const char *const kLast[] = {"Pérez", "Gómez", "Fernández", "Lorca", "Díaz Vélez"};
    static const char *const kBirth[] = {"1990-05-01", "1985-02-28", "1970-12-31", "2000-01-01"};
    Workload workload;
    workload.bets = bets;
    std::vector<protocol::Bet> chunk;
    std::uint64_t sequence = 1;
    for (long long i = 0; i < bets;) {
        chunk.clear();
        for (int k = 0; k < batchSize && i < bets; ++k, ++i) {
            protocol::Bet bet;
            bet.firstName = kFirst[i % 5];
            bet.lastName = kLast[(i / 5) % 5];
            bet.document = std::to_string(20000000 + i);
            bet.birthdate = kBirth[i % 4];
            // Every 997th bet wins (as lottery-datagen's files); the others never do.
            bet.number = i % 997 == 0 ? protocol::kWinningNumber
                                      : static_cast<std::uint16_t>((i * 7) % 7000);
            if (bet.number == protocol::kWinningNumber)
                workload.winners.push_back(bet.document);
            chunk.push_back(std::move(bet));
        }
        protocol::appendFrame(workload.stream, protocol::Batch {sequence++, chunk});
        workload.frameEnd.push_back(workload.stream.size());
    }
    std::sort(workload.winners.begin(), workload.winners.end());
    workload.pipelined = pipelined;
    if (pipelined) {
        protocol::appendFrame(workload.stream, protocol::Done {});
        protocol::appendFrame(workload.stream, protocol::GetWinners {});
    }
    return workload;
}

// Latency from the last byte of a BATCH written to its ACK read: a log-scale histogram, 1 us to
// ~100 s, so memory does not grow with the batches.
class LatencyHistogram
{
public:
    void add(double seconds)
    {
        const double us = std::max(1.0, seconds * 1e6);
        const auto bucket = static_cast<std::size_t>(std::log(us) / std::log(kBase));
        ++m_counts[std::min(bucket, m_counts.size() - 1)];
        ++m_total;
    }
    double percentileMs(double p) const
    {
        const auto rank = static_cast<long long>(std::ceil(p * static_cast<double>(m_total)));
        long long seen = 0;
        for (std::size_t b = 0; b < m_counts.size(); ++b) {
            seen += m_counts[b];
            if (seen >= rank && rank > 0)
                return std::pow(kBase, static_cast<double>(b + 1)) / 1000.0;
        }
        return 0;
    }

private:
    static constexpr double kBase = 1.05;
    std::vector<long long> m_counts = std::vector<long long>(400, 0);
    long long m_total = 0;
};

enum class Phase { Connecting, Hello, Welcomed, Uploading, Done, Winners, Finished, Failed };

struct Agency {
    int fd = -1;
    std::uint32_t number = 0;
    Phase phase = Phase::Connecting;
    std::size_t sent = 0; // bytes of the workload stream written
    std::size_t framesSent = 0; // whole BATCH frames written
    std::size_t acked = 0;
    std::string pendingOut; // a small frame (HELLO, DONE, GET_WINNERS) not fully written yet
    std::vector<double> sentAt; // per frame in the window: when its last byte left (a ring)
    protocol::FrameSplitter splitter;
    std::vector<std::string> winners;
};

struct PointResult {
    int agencies = 0;
    long long betsPerAgency = 0;
    long long bets = 0;
    double connectSeconds = 0;
    double connectServerCpu = 0;
    double seconds = 0;
    double serverCpu = 0;
    double loadgenCpu = 0;
    double ackP50Ms = 0;
    double ackP99Ms = 0;
    long long serverHwmKib = -1;
    long long serverRssKib = -1;
    bool correct = false;
    std::string error;
};

class Run
{
public:
    Run(const Options &options, int agencies, const Workload &workload)
        : m_options(options), m_count(agencies), m_workload(workload)
    {
    }
    PointResult execute();

private:
    bool startServer(std::string *error);
    void stopServer();
    void connectSome();
    void onEvent(Agency &agency, std::uint32_t events);
    void flush(Agency &agency);
    void readFrames(Agency &agency);
    void handle(Agency &agency, const protocol::Message &message);
    void fail(Agency &agency, const std::string &why);
    void sendSmall(Agency &agency, const protocol::Message &message);
    bool loop(const std::function<bool()> &until, double deadline);

    const Options &m_options;
    const int m_count;
    const Workload &m_workload;
    pid_t m_server = -1;
    std::uint16_t m_port = 0;
    int m_epoll = -1;
    std::vector<Agency> m_agencies;
    int m_nextToConnect = 0;
    int m_handshaking = 0; // connected or connecting, not welcomed yet
    int m_welcomed = 0;
    int m_finished = 0;
    int m_failed = 0;
    std::string m_firstError;
    LatencyHistogram m_latency;
    std::string m_log;
};

bool Run::startServer(std::string *error)
{
    ::mkdir(m_options.workDir.c_str(), 0755);
    const std::string storage = m_options.workDir + "/bets.csv";
    ::unlink(storage.c_str());
    ::unlink((storage + ".journal").c_str());
    m_log = m_options.workDir + "/server-" + std::to_string(m_count) + ".log";
    ::unlink(m_log.c_str()); // a previous round's log would give its port away
    const std::string binary = m_options.binDir + "/lottery-server";
    std::vector<std::string> args {
        binary, "--port", "0", "--agencies", std::to_string(m_count), "--storage", storage};
    if (m_options.workers > 0) {
        args.push_back("--workers");
        args.push_back(std::to_string(m_options.workers));
    }
    m_server = ::fork();
    if (m_server < 0) {
        *error = std::string("fork: ") + std::strerror(errno);
        return false;
    }
    if (m_server == 0) {
        const int log = ::open(m_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(log, 1);
        ::dup2(log, 2);
        if (::chdir(m_options.workDir.c_str()) != 0)
            ::_exit(126);
        ::setenv("SERVER_IP", "127.0.0.1", 1);
        ::setenv("SERVER_MAX_CONNECTIONS", std::to_string(m_count + 64).c_str(), 1);
        ::setenv("SERVER_LISTEN_BACKLOG", "4096", 1);
        std::vector<char *> argv;
        for (std::string &arg : args)
            argv.push_back(arg.data());
        argv.push_back(nullptr);
        ::execv(binary.c_str(), argv.data());
        ::_exit(127);
    }
    // The port, from the server's `action: listen | result: success | ... | port: N` line.
    const double deadline = now() + 10;
    while (now() < deadline) {
        std::ifstream log(m_log);
        std::string line;
        while (std::getline(log, line)) {
            if (line.find("action: listen | result: success") == std::string::npos)
                continue;
            const std::size_t at = line.find("port: ");
            if (at != std::string::npos)
                m_port = static_cast<std::uint16_t>(std::atoi(line.c_str() + at + 6));
        }
        if (m_port != 0)
            return true;
        int status = 0;
        if (::waitpid(m_server, &status, WNOHANG) == m_server) {
            m_server = -1;
            *error = "lottery-server exited at start; see " + m_log;
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10)); // polling a file
    }
    *error = "lottery-server reported no port within 10 s; see " + m_log;
    return false;
}

void Run::stopServer()
{
    if (m_server <= 0)
        return;
    ::kill(m_server, SIGTERM);
    int status = 0;
    for (int i = 0; i < 1500; ++i) {
        if (::waitpid(m_server, &status, WNOHANG) == m_server) {
            m_server = -1;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(m_server, SIGKILL);
    ::waitpid(m_server, &status, 0);
    m_server = -1;
}

// At most this many sessions between connect() and WELCOME: the listen backlog stays short.
constexpr int kConnectWindow = 256;

void Run::connectSome()
{
    while (m_nextToConnect < m_count && m_handshaking < kConnectWindow) {
        Agency &agency = m_agencies[static_cast<std::size_t>(m_nextToConnect)];
        agency.number = static_cast<std::uint32_t>(++m_nextToConnect);
        agency.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (agency.fd < 0) {
            fail(agency, std::string("socket: ") + std::strerror(errno));
            continue;
        }
        const int one = 1;
        ::setsockopt(agency.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in address {};
        address.sin_family = AF_INET;
        address.sin_port = htons(m_port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(agency.fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0
            && errno != EINPROGRESS) {
            fail(agency, std::string("connect: ") + std::strerror(errno));
            continue;
        }
        epoll_event event {};
        event.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP;
        event.data.u32 = agency.number - 1;
        ::epoll_ctl(m_epoll, EPOLL_CTL_ADD, agency.fd, &event);
        ++m_handshaking;
    }
}

void Run::fail(Agency &agency, const std::string &why)
{
    if (agency.phase == Phase::Failed || agency.phase == Phase::Finished)
        return;
    if (agency.phase <= Phase::Hello)
        --m_handshaking;
    agency.phase = Phase::Failed;
    ++m_failed;
    if (m_firstError.empty())
        m_firstError = "agency " + std::to_string(agency.number) + ": " + why;
    if (agency.fd >= 0) {
        ::close(agency.fd);
        agency.fd = -1;
    }
}

void Run::sendSmall(Agency &agency, const protocol::Message &message)
{
    agency.pendingOut += protocol::encodeFrame(message);
    flush(agency);
}

void Run::flush(Agency &agency)
{
    while (!agency.pendingOut.empty()) {
        const ssize_t n
            = ::send(agency.fd, agency.pendingOut.data(), agency.pendingOut.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR)
                fail(agency, std::string("send: ") + std::strerror(errno));
            return;
        }
        agency.pendingOut.erase(0, static_cast<std::size_t>(n));
    }
    if (agency.phase != Phase::Uploading)
        return;
    const std::size_t frames = m_workload.frameEnd.size();
    const std::size_t window = static_cast<std::size_t>(m_options.window);
    while (true) {
        const std::size_t allowed = std::min(frames, agency.acked + window);
        // The whole window; the last frame carries the DONE and GET_WINNERS behind it.
        const std::size_t end
            = allowed == frames ? m_workload.stream.size() : m_workload.frameEnd[allowed - 1];
        if (agency.sent >= end)
            return;
        const ssize_t n = ::send(
            agency.fd, m_workload.stream.data() + agency.sent, end - agency.sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR)
                fail(agency, std::string("send: ") + std::strerror(errno));
            return;
        }
        agency.sent += static_cast<std::size_t>(n);
        const double at = now();
        while (
            agency.framesSent < allowed && m_workload.frameEnd[agency.framesSent] <= agency.sent) {
            agency.sentAt[agency.framesSent % window] = at;
            ++agency.framesSent;
        }
    }
}

void Run::readFrames(Agency &agency)
{
    while (agency.fd >= 0) {
        char *into = agency.splitter.prepareFeed(16384);
        const ssize_t n = ::recv(agency.fd, into, 16384, 0);
        agency.splitter.commitFeed(n > 0 ? static_cast<std::size_t>(n) : 0);
        if (n == 0) {
            fail(agency, "the server closed the connection");
            return;
        }
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR)
                fail(agency, std::string("recv: ") + std::strerror(errno));
            if (errno == EAGAIN)
                break;
            continue;
        }
        protocol::RawFrame frame;
        protocol::DecodeStatus status;
        while ((status = agency.splitter.next(frame)) == protocol::DecodeStatus::Ok) {
            protocol::FrameDecodeResult decoded = protocol::decodeFrame(frame);
            if (decoded.error) {
                fail(agency, "undecodable frame: " + decoded.error->toString());
                return;
            }
            handle(agency, *decoded.message);
            if (agency.fd < 0)
                return;
        }
        if (status == protocol::DecodeStatus::Malformed) {
            fail(agency, "malformed stream: " + agency.splitter.error().toString());
            return;
        }
    }
}

void Run::handle(Agency &agency, const protocol::Message &message)
{
    using protocol::MessageType;
    switch (protocol::typeOf(message)) {
    case MessageType::Welcome: {
        const auto &welcome = std::get<protocol::Welcome>(message);
        if (agency.phase != Phase::Hello || welcome.lastSequence != 0) {
            fail(agency, "unexpected WELCOME");
            return;
        }
        agency.phase = Phase::Welcomed;
        --m_handshaking;
        ++m_welcomed;
        return;
    }
    case MessageType::Ack: {
        const auto &ack = std::get<protocol::Ack>(message);
        if (agency.phase != Phase::Uploading || ack.sequence != agency.acked + 1
            || agency.acked >= agency.framesSent) {
            fail(agency, "ACK out of order: " + std::to_string(ack.sequence));
            return;
        }
        m_latency.add(
            now() - agency.sentAt[agency.acked % static_cast<std::size_t>(m_options.window)]);
        ++agency.acked;
        if (agency.acked == m_workload.frameEnd.size()) {
            agency.phase = Phase::Done;
            if (!m_workload.pipelined)
                sendSmall(agency, protocol::Done {});
        } else {
            flush(agency);
        }
        return;
    }
    case MessageType::DoneAck:
        if (agency.phase != Phase::Done) {
            fail(agency, "unexpected DONE_ACK");
            return;
        }
        agency.phase = Phase::Winners;
        if (!m_workload.pipelined)
            sendSmall(agency, protocol::GetWinners {});
        return;
    case MessageType::Winners: {
        const auto &winners = std::get<protocol::Winners>(message);
        if (agency.phase != Phase::Winners) {
            fail(agency, "unexpected WINNERS");
            return;
        }
        agency.winners.insert(
            agency.winners.end(), winners.documents.begin(), winners.documents.end());
        if (!winners.final)
            return;
        std::sort(agency.winners.begin(), agency.winners.end());
        if (agency.winners != m_workload.winners) {
            fail(agency,
                "got " + std::to_string(agency.winners.size()) + " winners, expected "
                    + std::to_string(m_workload.winners.size()));
            return;
        }
        agency.phase = Phase::Finished;
        ++m_finished;
        ::close(agency.fd);
        agency.fd = -1;
        return;
    }
    case MessageType::Reject: {
        const auto &reject = std::get<protocol::Reject>(message);
        fail(agency, "REJECT " + std::to_string(reject.sequence) + ": " + reject.reason);
        return;
    }
    case MessageType::Error: {
        const auto &error = std::get<protocol::ErrorMessage>(message);
        fail(agency, std::string("ERROR ") + protocol::toString(error.code) + ": " + error.message);
        return;
    }
    default: fail(agency, "unexpected message from the server"); return;
    }
}

void Run::onEvent(Agency &agency, std::uint32_t events)
{
    if (agency.fd < 0)
        return;
    if (agency.phase == Phase::Connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        int error = 0;
        socklen_t length = sizeof error;
        ::getsockopt(agency.fd, SOL_SOCKET, SO_ERROR, &error, &length);
        if (error != 0) {
            fail(agency, std::string("connect: ") + std::strerror(error));
            return;
        }
        agency.phase = Phase::Hello;
        sendSmall(agency, protocol::Hello {protocol::kProtocolVersion, agency.number, {}});
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        readFrames(agency);
    if (agency.fd >= 0 && (events & EPOLLOUT))
        flush(agency);
}

bool Run::loop(const std::function<bool()> &until, double deadline)
{
    std::vector<epoll_event> events(1024);
    while (!until()) {
        if (now() > deadline)
            return false;
        const int n = ::epoll_wait(m_epoll, events.data(), static_cast<int>(events.size()), 200);
        for (int i = 0; i < n; ++i)
            onEvent(m_agencies[events[static_cast<std::size_t>(i)].data.u32],
                events[static_cast<std::size_t>(i)].events);
        connectSome();
    }
    return true;
}

PointResult Run::execute()
{
    PointResult result;
    result.agencies = m_count;
    result.betsPerAgency = m_workload.bets;
    result.bets = m_workload.bets * m_count;
    if (!startServer(&result.error))
        return result;
    m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
    m_agencies.resize(static_cast<std::size_t>(m_count));
    for (Agency &agency : m_agencies)
        agency.sentAt.resize(static_cast<std::size_t>(m_options.window));
    const double deadline = now() + m_options.timeoutSeconds;

    // Connection phase: every session connected and welcomed, none uploading yet.
    const double connectStart = now();
    const double serverCpuStart = processCpuSeconds(m_server);
    connectSome();
    const bool connected
        = loop([this] { return m_welcomed + m_failed == m_count; }, deadline) && m_failed == 0;
    result.connectSeconds = now() - connectStart;
    const double serverCpuWelcomed = processCpuSeconds(m_server);
    result.connectServerCpu = serverCpuWelcomed - serverCpuStart;

    if (connected) {
        // Upload phase: all at once.
        const double start = now();
        const double loadgenStart = selfCpuSeconds();
        for (Agency &agency : m_agencies) {
            agency.phase = Phase::Uploading;
            flush(agency);
        }
        const bool finished = loop([this] { return m_finished + m_failed == m_count; }, deadline);
        result.seconds = now() - start;
        result.loadgenCpu = selfCpuSeconds() - loadgenStart;
        result.serverCpu = processCpuSeconds(m_server) - serverCpuWelcomed;
        result.serverHwmKib = statusKib(m_server, "VmHWM");
        result.serverRssKib = statusKib(m_server, "VmRSS");
        result.ackP50Ms = m_latency.percentileMs(0.50);
        result.ackP99Ms = m_latency.percentileMs(0.99);
        if (!finished)
            result.error = "timed out after " + std::to_string(m_options.timeoutSeconds) + " s ("
                + std::to_string(m_finished) + " of " + std::to_string(m_count) + " finished)";
    } else if (m_firstError.empty()) {
        result.error = "timed out connecting (" + std::to_string(m_welcomed) + " of "
            + std::to_string(m_count) + " welcomed)";
    }
    if (result.error.empty() && !m_firstError.empty())
        result.error = m_firstError + " (" + std::to_string(m_failed) + " agencies failed)";
    result.correct = result.error.empty() && m_finished == m_count;
    for (Agency &agency : m_agencies) {
        if (agency.fd >= 0)
            ::close(agency.fd);
    }
    ::close(m_epoll);
    stopServer();
    ::unlink((m_options.workDir + "/bets.csv").c_str());
    ::unlink((m_options.workDir + "/bets.csv.journal").c_str());
    return result;
}

bool parse(int argc, char **argv, Options &options, std::string *error)
{
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> const char * {
            if (i + 1 >= argc) {
                *error = arg + " needs a value";
                return nullptr;
            }
            return argv[++i];
        };
        auto number = [&](long long min, long long max, long long &out) {
            const char *text = value();
            if (!text)
                return false;
            char *end = nullptr;
            out = std::strtoll(text, &end, 10);
            if (*text == '\0' || *end != '\0' || out < min || out > max) {
                *error = arg + ": '" + text + "' is not a number in " + std::to_string(min) + ".."
                    + std::to_string(max);
                return false;
            }
            return true;
        };
        long long n = 0;
        if (arg == "--curve") {
            const char *text = value();
            if (!text)
                return false;
            options.curve.clear();
            std::istringstream items(text);
            std::string item;
            while (std::getline(items, item, ',')) {
                const int agencies = std::atoi(item.c_str());
                if (agencies < 1 || agencies > 20000) {
                    *error = "--curve: '" + item + "' is not a number of agencies in 1..20000";
                    return false;
                }
                options.curve.push_back(agencies);
            }
            if (options.curve.empty()) {
                *error = "--curve is empty";
                return false;
            }
        } else if (arg == "--total-bets") {
            if (!number(1, 100000000, options.totalBets))
                return false;
        } else if (arg == "--bets") {
            if (!number(1, 100000000, options.betsPerAgency))
                return false;
        } else if (arg == "--strict") {
            options.strict = true;
        } else if (arg == "--window") {
            if (!number(1, 1024, n))
                return false;
            options.window = static_cast<int>(n);
        } else if (arg == "--batch") {
            if (!number(1, 1000, n))
                return false;
            options.batch = static_cast<int>(n);
        } else if (arg == "--workers") {
            if (!number(1, 10, n))
                return false;
            options.workers = static_cast<int>(n);
        } else if (arg == "--timeout") {
            if (!number(1, 86400, n))
                return false;
            options.timeoutSeconds = static_cast<int>(n);
        } else if (arg == "--bin") {
            const char *text = value();
            if (!text)
                return false;
            options.binDir = text;
        } else if (arg == "--work") {
            const char *text = value();
            if (!text)
                return false;
            options.workDir = text;
        } else if (arg == "--rounds") {
            const char *text = value();
            if (!text)
                return false;
            char *end = nullptr;
            const long rounds = std::strtol(text, &end, 10);
            if (!end || *end != '\0' || rounds < 1 || rounds > 99) {
                *error = std::string("--rounds: '") + text + "' is not a number in 1..99";
                return false;
            }
            options.rounds = static_cast<int>(rounds);
        } else if (arg == "--json") {
            options.json = true;
        } else if (arg == "--help" || arg == "-h") {
            *error = "usage: lottery-loadgen [--curve N1,N2,..] [--total-bets T | --bets M] "
                     "[--window W] [--batch B] [--workers K] [--timeout S] [--rounds R] [--strict] "
                     "[--bin DIR] [--work DIR] [--json]";
            return false;
        } else {
            *error = "unknown option " + arg;
            return false;
        }
    }
    return true;
}

std::string absolute(const std::string &path)
{
    if (path.empty() || path[0] == '/')
        return path;
    char cwd[4096];
    return std::string(::getcwd(cwd, sizeof cwd) ? cwd : ".") + "/" + path;
}

} // namespace

int main(int argc, char **argv)
{
    Options options;
    std::string error;
    if (!parse(argc, argv, options, &error)) {
        std::fprintf(stderr, "lottery-loadgen: %s\n", error.c_str());
        return 2;
    }
    if (options.binDir.empty()) {
        char self[4096];
        const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
        std::string path(self, n > 0 ? static_cast<std::size_t>(n) : 0);
        options.binDir = path.substr(0, path.rfind('/'));
    }
    options.binDir = absolute(options.binDir);
    bool temporaryWork = false;
    if (options.workDir.empty()) {
        char pattern[] = "/tmp/lottery-loadgen-XXXXXX";
        if (!::mkdtemp(pattern)) {
            std::fprintf(stderr, "lottery-loadgen: mkdtemp: %s\n", std::strerror(errno));
            return 2;
        }
        options.workDir = pattern;
        temporaryWork = true;
    }
    options.workDir = absolute(options.workDir);
    raiseOpenFileLimit();
    std::signal(SIGPIPE, SIG_IGN);

    std::vector<PointResult> results;
    bool allCorrect = true;
    // runs[i]: every round's result of point i.
    std::vector<std::vector<PointResult>> runs(options.curve.size());
    for (int round = 0; round < options.rounds; ++round) {
        for (std::size_t i = 0; i < options.curve.size(); ++i) {
            const int agencies = options.curve[i];
            const long long bets = options.betsPerAgency > 0
                ? options.betsPerAgency
                : std::max<long long>(1, options.totalBets / agencies);
            const Workload workload = buildWorkload(bets, options.batch, !options.strict);
            Run run(options, agencies, workload);
            PointResult point = run.execute();
            allCorrect = allCorrect && point.correct;
            runs[i].push_back(point);
            if (options.rounds > 1 && !options.json) {
                std::fprintf(stderr, "round %d/%d: %d agencies: server CPU %.2f s%s\n", round + 1,
                    options.rounds, agencies, point.serverCpu, point.correct ? "" : " WRONG");
            }
        }
    }
    std::vector<std::pair<double, double>> cpuRange; // min, max server CPU of each point
    for (std::vector<PointResult> &pointRuns : runs) {
        std::sort(pointRuns.begin(), pointRuns.end(),
            [](const PointResult &a, const PointResult &b) { return a.serverCpu < b.serverCpu; });
        results.push_back(pointRuns[pointRuns.size() / 2]);
        cpuRange.emplace_back(pointRuns.front().serverCpu, pointRuns.back().serverCpu);
    }
    if (!options.json) {
        // "whole": the agency's whole life on the server, its accept, HELLO and WELCOME (the
        // connection phase's server CPU, "conn cpu s") included, per bet, over the first point's.
        std::printf("%8s %9s %8s %10s %9s %11s %7s %9s %9s %10s %9s %10s %10s %7s%s\n", "agencies",
            "bets/agcy", "wall s", "bets/s", "srv cpu s", "srv us/bet", "ratio", "ack p99",
            "peak RSS", "KiB/agency", "gen cpu s", "connect s", "conn cpu s", "whole",
            options.rounds > 1 ? "  srv cpu min-max" : "");
    }
    for (std::size_t i = 0; i < results.size() && !options.json; ++i) {
        const PointResult &point = results[i];
        const int agencies = point.agencies;
        const PointResult &base = results.front();
        const double perBet = point.bets > 0 ? point.serverCpu * 1e6 / point.bets : 0;
        const double basePerBet = base.bets > 0 ? base.serverCpu * 1e6 / base.bets : 0;
        const double kibPerAgency = agencies > base.agencies
            ? static_cast<double>(point.serverHwmKib - base.serverHwmKib)
                / (agencies - base.agencies)
            : 0;
        const double wholePerBet
            = point.bets > 0 ? (point.serverCpu + point.connectServerCpu) * 1e6 / point.bets : 0;
        const double baseWholePerBet
            = base.bets > 0 ? (base.serverCpu + base.connectServerCpu) * 1e6 / base.bets : 0;
        std::printf("%8d %9lld %8.2f %10.0f %9.2f %11.3f %6.2fx %7.1fms %7.1fMiB %10.1f "
                    "%9.2f %10.2f %10.2f %6.2fx",
            agencies, point.betsPerAgency, point.seconds,
            point.seconds > 0 ? static_cast<double>(point.bets) / point.seconds : 0,
            point.serverCpu, perBet, basePerBet > 0 ? perBet / basePerBet : 0, point.ackP99Ms,
            static_cast<double>(point.serverHwmKib) / 1024.0, kibPerAgency, point.loadgenCpu,
            point.connectSeconds, point.connectServerCpu,
            baseWholePerBet > 0 ? wholePerBet / baseWholePerBet : 0);
        if (options.rounds > 1)
            std::printf("  %.2f-%.2f s", cpuRange[i].first, cpuRange[i].second);
        std::printf("%s\n", point.correct ? "" : "  WRONG");
        if (!point.error.empty())
            std::printf("  %s\n", point.error.c_str());
        std::fflush(stdout);
    }
    if (options.json) {
        const PointResult &base = results.front();
        const double basePerBet = base.bets > 0 ? base.serverCpu * 1e6 / base.bets : 0;
        std::printf(
            "{\"conversation\":\"%s\",\"points\":[", options.strict ? "strict" : "pipelined");
        for (std::size_t i = 0; i < results.size(); ++i) {
            const PointResult &p = results[i];
            const double perBet = p.bets > 0 ? p.serverCpu * 1e6 / p.bets : 0;
            std::string escaped;
            for (char c : p.error)
                escaped += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
            std::printf("%s{\"agencies\":%d,\"bets_per_agency\":%lld,\"bets\":%lld,"
                        "\"seconds\":%.4f,\"bets_per_second\":%.0f,\"server_cpu_seconds\":%.3f,"
                        "\"server_cpu_us_per_bet\":%.4f,\"ratio_to_first\":%.3f,"
                        "\"ack_p50_ms\":%.3f,\"ack_p99_ms\":%.3f,\"server_peak_rss_kib\":%lld,"
                        "\"loadgen_cpu_seconds\":%.3f,\"connect_seconds\":%.3f,"
                        "\"connect_server_cpu_seconds\":%.3f,\"winners_correct\":%s,"
                        "\"rounds\":%d,\"server_cpu_min_seconds\":%.3f,"
                        "\"server_cpu_max_seconds\":%.3f,\"error\":\"%s\"}",
                i ? "," : "", p.agencies, p.betsPerAgency, p.bets, p.seconds,
                p.seconds > 0 ? static_cast<double>(p.bets) / p.seconds : 0, p.serverCpu, perBet,
                basePerBet > 0 ? perBet / basePerBet : 0, p.ackP50Ms, p.ackP99Ms, p.serverHwmKib,
                p.loadgenCpu, p.connectSeconds, p.connectServerCpu, p.correct ? "true" : "false",
                options.rounds, cpuRange[i].first, cpuRange[i].second, escaped.c_str());
        }
        std::printf("],\"all_correct\":%s}\n", allCorrect ? "true" : "false");
    }
    if (temporaryWork && allCorrect) {
        for (const int agencies : options.curve)
            ::unlink((options.workDir + "/server-" + std::to_string(agencies) + ".log").c_str());
        ::rmdir(options.workDir.c_str());
    } else if (!allCorrect) {
        std::fprintf(stderr, "lottery-loadgen: logs kept in %s\n", options.workDir.c_str());
    }
    return allCorrect ? 0 : 1;
}
