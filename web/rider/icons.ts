// Vant's icon font, loaded after the first screen (main.ts).
import 'vant/es/icon/index.css';
