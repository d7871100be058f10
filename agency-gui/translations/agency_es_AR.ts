<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="es_AR">
<context>
    <name>GuiCommandLine</name>
    <message>
        <source>Uploads one agency&apos;s bets to the lottery server and shows its winners.</source>
        <translation>Sube las apuestas de una agencia al servidor de la lotería y muestra sus ganadores.</translation>
    </message>
    <message>
        <source>Show this help.</source>
        <translation>Muestra esta ayuda.</translation>
    </message>
    <message>
        <source>Agency number (1 or more).</source>
        <translation>Número de agencia (1 o más).</translation>
    </message>
    <message>
        <source>The agency&apos;s bets file (CSV).</source>
        <translation>El archivo de apuestas de la agencia (CSV).</translation>
    </message>
    <message>
        <source>Bets per batch (1..65535).</source>
        <translation>Apuestas por lote (1..65535).</translation>
    </message>
    <message>
        <source>Start the upload at once.</source>
        <translation>Empieza a subir en seguida.</translation>
    </message>
    <message>
        <source>Save a PNG of the window once the winners (or an error) are shown, then quit: exit code 0 only if the winners were received.</source>
        <translation>Guarda un PNG de la ventana cuando muestra los ganadores (o un error) y sale: código de salida 0 solo si se recibieron los ganadores.</translation>
    </message>
    <message>
        <source>PEM CA to verify the server with (TLS).</source>
        <translation>CA en PEM con la que verificar el servidor (TLS).</translation>
    </message>
    <message>
        <source>File holding the agency&apos;s token.</source>
        <translation>Archivo con el token de la agencia.</translation>
    </message>
    <message>
        <source>Language of the window: es (Spanish) or en (English); default: the one chosen in the window, else the system&apos;s.</source>
        <translation>Idioma de la ventana: es (español) o en (inglés); por omisión, el elegido en la ventana o, si no, el del sistema.</translation>
    </message>
    <message>
        <source>unexpected argument &apos;%1&apos;</source>
        <translation>argumento inesperado &apos;%1&apos;</translation>
    </message>
    <message>
        <source>--agency must be a number of 1 or more, not &apos;%1&apos;</source>
        <translation>--agency debe ser un número de 1 o más, no &apos;%1&apos;</translation>
    </message>
    <message>
        <source>--file needs a path</source>
        <translation>--file necesita una ruta</translation>
    </message>
    <message>
        <source>--batch-size must be in 1..65535, not &apos;%1&apos;</source>
        <translation>--batch-size debe estar entre 1 y 65535, no &apos;%1&apos;</translation>
    </message>
    <message>
        <source>--lang must be es or en, not &apos;%1&apos;</source>
        <translation>--lang debe ser es o en, no &apos;%1&apos;</translation>
    </message>
    <message>
        <source>--screenshot needs a path</source>
        <translation>--screenshot necesita una ruta</translation>
    </message>
    <message>
        <source>Server address, or a list of them to fail over along in order.</source>
        <translation>Dirección del servidor, o una lista de direcciones que se recorre en orden cuando una falla.</translation>
    </message>
</context>
<context>
    <name>QAbstractFileIconProvider</name>
    <message>
        <source>Folder</source>
        <comment>All other platforms</comment>
        <translation>Carpeta</translation>
    </message>
    <message>
        <source>Drive</source>
        <translation>Unidad</translation>
    </message>
    <message>
        <source>File</source>
        <translation>Archivo</translation>
    </message>
</context>
<context>
    <name>QFileDialog</name>
    <message>
        <source>File &amp;name:</source>
        <translation>&amp;Nombre del archivo:</translation>
    </message>
    <message>
        <source>Files of type:</source>
        <translation>Archivos de tipo:</translation>
    </message>
    <message>
        <source>All Files (*)</source>
        <translation>Todos los archivos (*)</translation>
    </message>
    <message>
        <source>Show &amp;hidden files</source>
        <translation>Mostrar los archivos &amp;ocultos</translation>
    </message>
    <message>
        <source>File Folder</source>
        <translation>Carpeta de archivos</translation>
    </message>
    <message>
        <source>Go to the parent directory</source>
        <translation>Ir a la carpeta superior</translation>
    </message>
    <message>
        <source>%1 already exists.
Do you want to replace it?</source>
        <translation>El archivo %1 ya existe.
¿Quiere reemplazarlo?</translation>
    </message>
    <message>
        <source>%1
File not found.
Please verify the correct file name was given.</source>
        <translation>%1
No se encontró el archivo.
Revise que el nombre del archivo sea correcto.</translation>
    </message>
</context>
<context>
    <name>QFileSystemModel</name>
    <message>
        <source>Invalid filename</source>
        <translation>Nombre de archivo no válido</translation>
    </message>
</context>
<context>
    <name>lottery::gui::AgencyWindow</name>
    <message>
        <source>Lotería: agency upload</source>
        <translation>Lotería: subida de la agencia</translation>
    </message>
    <message>
        <source>Upload settings</source>
        <translation>Datos de la subida</translation>
    </message>
    <message>
        <source>The server&apos;s TCP port</source>
        <translation>El puerto TCP del servidor</translation>
    </message>
    <message>
        <source>This agency&apos;s number, as the lottery assigned it</source>
        <translation>El número de esta agencia, el que asignó la lotería</translation>
    </message>
    <message>
        <source>choose or drop a CSV file</source>
        <translation>elija o arrastre un archivo CSV</translation>
    </message>
    <message>
        <source>&amp;Browse...</source>
        <translation>&amp;Buscar...</translation>
    </message>
    <message>
        <source>Choose the agency&apos;s bets file</source>
        <translation>Elija el archivo de apuestas de la agencia</translation>
    </message>
    <message>
        <source>Bets sent in each batch</source>
        <translation>Apuestas que se envían en cada lote</translation>
    </message>
    <message>
        <source>CA certificate (PEM) for TLS; empty: no TLS</source>
        <translation>certificado de la CA (PEM) para TLS; vacío: sin TLS</translation>
    </message>
    <message>
        <source>Br&amp;owse...</source>
        <translation>Bu&amp;scar...</translation>
    </message>
    <message>
        <source>Choose the CA certificate</source>
        <translation>Elija el certificado de la CA</translation>
    </message>
    <message>
        <source>file holding the agency&apos;s token; empty: none</source>
        <translation>archivo con el token de la agencia; vacío: ninguno</translation>
    </message>
    <message>
        <source>Bro&amp;wse...</source>
        <translation>Busc&amp;ar...</translation>
    </message>
    <message>
        <source>Choose the token file</source>
        <translation>Elija el archivo del token</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>Idioma del sistema</translation>
    </message>
    <message>
        <source>The language of this app; it changes on the next start</source>
        <translation>El idioma de esta aplicación; cambia la próxima vez que se abre</translation>
    </message>
    <message>
        <source>&amp;Port</source>
        <translation>&amp;Puerto</translation>
    </message>
    <message>
        <source>&amp;Server</source>
        <translation>Ser&amp;vidor</translation>
    </message>
    <message>
        <source>&amp;Agency</source>
        <translation>A&amp;gencia</translation>
    </message>
    <message>
        <source>Bets &amp;file</source>
        <translation>Arc&amp;hivo de apuestas</translation>
    </message>
    <message>
        <source>Batch si&amp;ze</source>
        <translation>&amp;Tamaño del lote</translation>
    </message>
    <message>
        <source>&amp;CA file</source>
        <translation>Archivo de la &amp;CA</translation>
    </message>
    <message>
        <source>&amp;Token file</source>
        <translation>Archivo del t&amp;oken</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>&amp;Idioma</translation>
    </message>
    <message>
        <source>Bets file</source>
        <translation>Archivo de apuestas</translation>
    </message>
    <message>
        <source>No file read yet.</source>
        <translation>Todavía no se leyó ningún archivo.</translation>
    </message>
    <message>
        <source>Upload</source>
        <translation>Subida</translation>
    </message>
    <message>
        <source>&amp;Upload</source>
        <translation>S&amp;ubir</translation>
    </message>
    <message>
        <source>Send the bets to the server (Enter)</source>
        <translation>Envía las apuestas al servidor (Enter)</translation>
    </message>
    <message>
        <source>Ca&amp;ncel</source>
        <translation>Ca&amp;ncelar</translation>
    </message>
    <message>
        <source>Stop the upload; the server keeps what it stored (Esc)</source>
        <translation>Detiene la subida; el servidor conserva lo que ya guardó (Esc)</translation>
    </message>
    <message>
        <source>Winners of this agency</source>
        <translation>Ganadores de esta agencia</translation>
    </message>
    <message>
        <source>The winners appear here after the draw.</source>
        <translation>Los ganadores aparecen aquí después del sorteo.</translation>
    </message>
    <message>
        <source>&amp;Export winners...</source>
        <translation>&amp;Exportar ganadores...</translation>
    </message>
    <message>
        <source>Save the winners as a CSV file</source>
        <translation>Guarda los ganadores en un archivo CSV</translation>
    </message>
    <message>
        <source>Log</source>
        <translation>Registro</translation>
    </message>
    <message>
        <source>Reading %1...</source>
        <translation>Leyendo %1...</translation>
    </message>
    <message>
        <source>Reading the file... %1 %</source>
        <translation>Leyendo el archivo... %1 %</translation>
    </message>
    <message>
        <source>Cannot read the file: %1</source>
        <translation>No se puede leer el archivo: %1</translation>
    </message>
    <message>
        <source>No file chosen.</source>
        <translation>No se eligió ningún archivo.</translation>
    </message>
    <message>
        <source>CSV files (*.csv);;All files (*)</source>
        <translation>Archivos CSV (*.csv);;Todos los archivos (*)</translation>
    </message>
    <message>
        <source>PEM certificates (*.pem *.crt);;All files (*)</source>
        <translation>Certificados PEM (*.pem *.crt);;Todos los archivos (*)</translation>
    </message>
    <message>
        <source>Choose the agency&apos;s token file</source>
        <translation>Elija el archivo del token de la agencia</translation>
    </message>
    <message>
        <source>All files (*)</source>
        <translation>Todos los archivos (*)</translation>
    </message>
    <message>
        <source>The language changes the next time the app starts.</source>
        <translation>El idioma cambia la próxima vez que se abre la aplicación.</translation>
    </message>
    <message>
        <source>Export winners</source>
        <translation>Exportar ganadores</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>Archivos CSV (*.csv)</translation>
    </message>
    <message>
        <source>Winners exported to %1</source>
        <translation>Ganadores exportados a %1</translation>
    </message>
    <message>
        <source>Export failed</source>
        <translation>No se pudo exportar</translation>
    </message>
    <message>
        <source>Status: %1</source>
        <translation>Estado: %1</translation>
    </message>
    <message>
        <source>&amp;Retry</source>
        <translation>&amp;Reintentar</translation>
    </message>
    <message>
        <source>%1 bets/s</source>
        <translation>%1 apuestas/s</translation>
    </message>
    <message>
        <source>%1 on average</source>
        <translation>%1 en promedio</translation>
    </message>
    <message>
        <source>time left unknown</source>
        <translation>tiempo restante desconocido</translation>
    </message>
    <message>
        <source>%1 left</source>
        <translation>faltan %1</translation>
    </message>
    <message>
        <source>host, or host:port,host:port to fail over in order</source>
        <translation>host, o host:puerto,host:puerto para pasar al siguiente en orden</translation>
    </message>
    <message>
        <source>One server, or a comma-separated list tried in order when one is lost; an entry without a port uses the Port field.</source>
        <translation>Un servidor, o una lista separada por comas que se prueba en orden cuando se pierde uno; una entrada sin puerto usa el campo Puerto.</translation>
    </message>
    <message>
        <source>The file %1 looks wrong:</source>
        <translation>El archivo %1 parece estar mal:</translation>
    </message>
    <message>
        <source>Send this file?</source>
        <translation>¿Enviar este archivo?</translation>
    </message>
    <message>
        <source>&amp;Send anyway</source>
        <translation>&amp;Enviar igual</translation>
    </message>
    <message>
        <source>&amp;Don&apos;t send</source>
        <translation>&amp;No enviar</translation>
    </message>
    <message>
        <source>%1 is a folder</source>
        <translation>%1 es una carpeta</translation>
    </message>
    <message>
        <source>the folder %1 does not exist</source>
        <translation>la carpeta %1 no existe</translation>
    </message>
    <message>
        <source>this user may not write there</source>
        <translation>este usuario no puede escribir ahí</translation>
    </message>
    <message>
        <source>the disk did not take the file (is it full?)</source>
        <translation>el disco no aceptó el archivo (¿está lleno?)</translation>
    </message>
    <message numerus="yes">
        <source>%Ln winner</source>
        <translation>
            <numerusform>%Ln ganador</numerusform>
            <numerusform>%Ln ganadores</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln winners</source>
        <translation>
            <numerusform>%Ln ganador</numerusform>
            <numerusform>%Ln ganadores</numerusform>
        </translation>
    </message>
    <message>
        <source>winners-agency-%1.csv</source>
        <translation>ganadores-agencia-%1.csv</translation>
    </message>
    <message>
        <source>cannot save %1: %2</source>
        <translation>no se puede guardar %1: %2</translation>
    </message>
    <message>
        <source>&amp;Resume</source>
        <translation>&amp;Continuar</translation>
    </message>
    <message>
        <source>&amp;Get winners</source>
        <translation>&amp;Pedir ganadores</translation>
    </message>
    <message numerus="yes">
        <source>%1 of %Ln bet (%2 %)</source>
        <translation>
            <numerusform>%1 de %Ln apuesta (%2 %)</numerusform>
            <numerusform>%1 de %Ln apuestas (%2 %)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 of %Ln bets (%2 %)</source>
        <translation>
            <numerusform>%1 de %Ln apuesta (%2 %)</numerusform>
            <numerusform>%1 de %Ln apuestas (%2 %)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln bet to send</source>
        <translation>
            <numerusform>%Ln apuesta para enviar</numerusform>
            <numerusform>%Ln apuestas para enviar</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln bets to send</source>
        <translation>
            <numerusform>%Ln apuesta para enviar</numerusform>
            <numerusform>%Ln apuestas para enviar</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln invalid row (not sent)</source>
        <translation>
            <numerusform>%Ln fila inválida (no se envía)</numerusform>
            <numerusform>%Ln filas inválidas (no se envían)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln invalid rows (not sent)</source>
        <translation>
            <numerusform>%Ln fila inválida (no se envía)</numerusform>
            <numerusform>%Ln filas inválidas (no se envían)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln winning number</source>
        <translation>
            <numerusform>%Ln número ganador</numerusform>
            <numerusform>%Ln números ganadores</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln winning numbers</source>
        <translation>
            <numerusform>%Ln número ganador</numerusform>
            <numerusform>%Ln números ganadores</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>The table lists the first %Ln.</source>
        <translation>
            <numerusform>La tabla muestra la primera.</numerusform>
            <numerusform>La tabla muestra las primeras %Ln.</numerusform>
        </translation>
    </message>
    <message>
        <source>Press Retry once the server is back.</source>
        <translation>Pulse Reintentar cuando el servidor vuelva a estar disponible.</translation>
    </message>
    <message>
        <source>Save &amp;receipt...</source>
        <translation>Guardar &amp;comprobante...</translation>
    </message>
    <message>
        <source>Save the server&apos;s receipt for this agency&apos;s stored bets (for an audit)</source>
        <translation>Guardar el comprobante del servidor por las apuestas guardadas de esta agencia (para una auditoría)</translation>
    </message>
    <message>
        <source>receipt-agency-%1.txt</source>
        <translation>comprobante-agencia-%1.txt</translation>
    </message>
    <message>
        <source>Save receipt</source>
        <translation>Guardar comprobante</translation>
    </message>
    <message>
        <source>Text files (*.txt)</source>
        <translation>Archivos de texto (*.txt)</translation>
    </message>
    <message>
        <source>Receipt saved to %1</source>
        <translation>Comprobante guardado en %1</translation>
    </message>
    <message>
        <source>Saving failed</source>
        <translation>No se pudo guardar</translation>
    </message>
</context>
<context>
    <name>lottery::gui::InvalidRowsModel</name>
    <message>
        <source>Line</source>
        <translation>Línea</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Motivo</translation>
    </message>
</context>
<context>
    <name>lottery::gui::UploadController</name>
    <message>
        <source>Ready</source>
        <translation>Listo</translation>
    </message>
    <message>
        <source>Reading the bets file</source>
        <translation>Leyendo el archivo de apuestas</translation>
    </message>
    <message>
        <source>Connecting</source>
        <translation>Conectando</translation>
    </message>
    <message>
        <source>Sending bets</source>
        <translation>Enviando apuestas</translation>
    </message>
    <message>
        <source>Waiting for the draw</source>
        <translation>Esperando el sorteo</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>Terminado</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>Falló</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>Cancelado</translation>
    </message>
    <message>
        <source>Cannot read the bets file</source>
        <translation>No se puede leer el archivo de apuestas</translation>
    </message>
    <message>
        <source>No bets file</source>
        <translation>Falta el archivo de apuestas</translation>
    </message>
    <message>
        <source>choose the agency&apos;s bets file first</source>
        <translation>primero elija el archivo de apuestas de la agencia</translation>
    </message>
    <message>
        <source>Details: %1</source>
        <translation>Detalle: %1</translation>
    </message>
    <message>
        <source>Could not look the winners up in the file: %1</source>
        <translation>No se pudieron buscar los ganadores en el archivo: %1</translation>
    </message>
    <message>
        <source>Error: %1: %2</source>
        <translation>Error: %1: %2</translation>
    </message>
    <message>
        <source>Cannot use the token file</source>
        <translation>No se puede usar el archivo del token</translation>
    </message>
    <message>
        <source>Connected to %1</source>
        <translation>Conectado a %1</translation>
    </message>
    <message>
        <source>Sending the file as it is, as confirmed</source>
        <translation>Se envía el archivo tal como está, según lo confirmado</translation>
    </message>
    <message>
        <source>Upload not started: nothing was sent</source>
        <translation>La subida no empezó: no se envió nada</translation>
    </message>
    <message>
        <source>All bets stored; the draw is pending</source>
        <translation>Todas las apuestas guardadas; falta el sorteo</translation>
    </message>
    <message numerus="yes">
        <source>%Ln valid bet</source>
        <translation>
            <numerusform>%Ln apuesta válida</numerusform>
            <numerusform>%Ln apuestas válidas</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln valid bets</source>
        <translation>
            <numerusform>%Ln apuesta válida</numerusform>
            <numerusform>%Ln apuestas válidas</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln invalid row</source>
        <translation>
            <numerusform>%Ln fila inválida</numerusform>
            <numerusform>%Ln filas inválidas</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln invalid rows</source>
        <translation>
            <numerusform>%Ln fila inválida</numerusform>
            <numerusform>%Ln filas inválidas</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Uploading %Ln bet of agency %1 to %2 in batches of %3</source>
        <translation>
            <numerusform>Subiendo %Ln apuesta de la agencia %1 a %2 en lotes de %3</numerusform>
            <numerusform>Subiendo %Ln apuestas de la agencia %1 a %2 en lotes de %3</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Uploading %Ln bets of agency %1 to %2 in batches of %3</source>
        <translation>
            <numerusform>Subiendo %Ln apuesta de la agencia %1 a %2 en lotes de %3</numerusform>
            <numerusform>Subiendo %Ln apuestas de la agencia %1 a %2 en lotes de %3</numerusform>
        </translation>
    </message>
    <message>
        <source>Connection attempt %1 failed; retrying in %2 ms</source>
        <translation>Falló el intento de conexión %1; se reintenta en %2 ms</translation>
    </message>
    <message>
        <source>Upload interrupted (%1); reconnecting, to the next server of the list if there is one</source>
        <translation>Subida interrumpida (%1); se intenta reconectar, al siguiente servidor de la lista si lo hay</translation>
    </message>
    <message numerus="yes">
        <source>Connected to %1; the server already holds %Ln bet, resuming after it</source>
        <translation>
            <numerusform>Conectado a %1; el servidor ya tiene %Ln apuesta, se sigue después de ella</numerusform>
            <numerusform>Conectado a %1; el servidor ya tiene %Ln apuestas, se sigue después de ellas</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Connected to %1; the server already holds %Ln bets, resuming after them</source>
        <translation>
            <numerusform>Conectado a %1; el servidor ya tiene %Ln apuesta, se sigue después de ella</numerusform>
            <numerusform>Conectado a %1; el servidor ya tiene %Ln apuestas, se sigue después de ellas</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>The server stored the %Ln bet; waiting for the draw</source>
        <translation>
            <numerusform>El servidor guardó la %Ln apuesta; esperando el sorteo</numerusform>
            <numerusform>El servidor guardó las %Ln apuestas; esperando el sorteo</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>The server stored all %Ln bets; waiting for the draw</source>
        <translation>
            <numerusform>El servidor guardó la %Ln apuesta; esperando el sorteo</numerusform>
            <numerusform>El servidor guardó las %Ln apuestas; esperando el sorteo</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Draw done: %Ln winner for this agency</source>
        <translation>
            <numerusform>Sorteo hecho: %Ln ganador para esta agencia</numerusform>
            <numerusform>Sorteo hecho: %Ln ganadores para esta agencia</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Draw done: %Ln winners for this agency</source>
        <translation>
            <numerusform>Sorteo hecho: %Ln ganador para esta agencia</numerusform>
            <numerusform>Sorteo hecho: %Ln ganadores para esta agencia</numerusform>
        </translation>
    </message>
    <message>
        <source>Stopped waiting for the draw. The server keeps every bet and this agency&apos;s upload is complete; Get winners asks for them.</source>
        <translation>Se dejó de esperar el sorteo. El servidor conserva todas las apuestas y la subida de esta agencia está completa; Pedir ganadores los consulta.</translation>
    </message>
    <message numerus="yes">
        <source>Upload cancelled after %1 of %Ln bet; Resume continues it</source>
        <translation>
            <numerusform>Subida cancelada después de %1 de %Ln apuesta; Continuar sigue desde ahí</numerusform>
            <numerusform>Subida cancelada después de %1 de %Ln apuestas; Continuar sigue desde ahí</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Upload cancelled after %1 of %Ln bets; Resume continues it</source>
        <translation>
            <numerusform>Subida cancelada después de %1 de %Ln apuesta; Continuar sigue desde ahí</numerusform>
            <numerusform>Subida cancelada después de %1 de %Ln apuestas; Continuar sigue desde ahí</numerusform>
        </translation>
    </message>
    <message>
        <source>The file looks wrong; asking before sending it</source>
        <translation>El archivo parece estar mal; se pregunta antes de enviarlo</translation>
    </message>
    <message numerus="yes">
        <source>The %Ln bet(s) the server already holds are this file&apos;s first rows (checked)</source>
        <translation>
            <numerusform>La apuesta que el servidor ya tiene es la primera fila de este archivo (verificado)</numerusform>
            <numerusform>Las %Ln apuestas que el servidor ya tiene son las primeras filas de este archivo (verificado)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Your %Ln bet(s) are in the sealed draw (seal %1)</source>
        <translation>
            <numerusform>Su apuesta está en el sorteo sellado (sello %1)</numerusform>
            <numerusform>Sus %Ln apuestas están en el sorteo sellado (sello %1)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>lottery::gui::WinnersModel</name>
    <message>
        <source>cannot write %1: %2</source>
        <translation>no se puede escribir %1: %2</translation>
    </message>
    <message>
        <source>(not in the local file)</source>
        <translation>(no está en el archivo local)</translation>
    </message>
    <message>
        <source>Document</source>
        <translation>Documento</translation>
    </message>
    <message>
        <source>First name</source>
        <translation>Nombre</translation>
    </message>
    <message>
        <source>Last name</source>
        <translation>Apellido</translation>
    </message>
    <message>
        <source>Number</source>
        <translation>Número</translation>
    </message>
    <message>
        <source>document,first_name,last_name,number</source>
        <translation>documento,nombre,apellido,número</translation>
    </message>
</context>
</TS>
