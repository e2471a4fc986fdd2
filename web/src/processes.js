// Styles of the process list and version pages (dist/processes.css); no script.
import "./processes.css";
