// The CSS of the Vant components on every screen (the report screen's and the tab bar's), and
// nothing else (Vant's whole stylesheet is 52 KB gzipped, most of it components we never show). A screen
// loaded later imports its own components' CSS; the icon font is loaded apart (icons.ts).
import 'vant/es/style/base.css';
import 'vant/es/badge/index.css';
import 'vant/es/button/index.css';
import 'vant/es/cell/index.css';
import 'vant/es/field/index.css';
import 'vant/es/loading/index.css';
import 'vant/es/nav-bar/index.css';
import 'vant/es/notice-bar/index.css';
import 'vant/es/switch/index.css';
import 'vant/es/tabbar/index.css';
import 'vant/es/tabbar-item/index.css';
import 'vant/es/tag/index.css';
