// The command line for scripted use:
//   agency-gui [--server HOST:PORT[,HOST:PORT...]] [--agency N] [--file PATH] [--batch-size N]
//              [--start] [--screenshot PATH] [--lang es|en]
// The values prefill the window's fields (over the remembered ones).
#pragma once

#include "upload_settings.h"

#include <QCoreApplication>
#include <QString>
#include <QStringList>

#include <optional>

namespace lottery::gui {

struct GuiCommandLine {
    Q_DECLARE_TR_FUNCTIONS(GuiCommandLine)

public:
    enum class Status { Ok, Help, Error };
    Status status = Status::Ok;
    QString text; // the error or the help text

    std::optional<QList<ServerAddress>> servers; // --server a:1 or a:1,b:2
    std::optional<quint32> agency;
    std::optional<QString> dataFile;
    std::optional<int> batchSize;
    std::optional<QString> caFile;
    std::optional<QString> tokenFile;
    bool start = false; // start the upload at once
    QString screenshotPath; // save a PNG once winners or an error are shown, then quit
    QString language; // --lang: "es" or "en"; empty: the setting, else the system's

    // `arguments` includes the program name first (QCoreApplication::arguments()).
    static GuiCommandLine parse(const QStringList &arguments);
    // Overrides the fields given on the command line.
    void applyTo(UploadSettings &settings) const;
};

} // namespace lottery::gui
