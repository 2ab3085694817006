// Boot: the Vue app with the router, Element Plus styles, the zh-CN date locale and the display preferences.
import { createApp } from 'vue'
import dayjs from 'dayjs'
import 'dayjs/locale/zh-cn'
import 'element-plus/dist/index.css'
import './styles/app.css'
import App from './App.vue'
import { router } from './router'
import { applyLargeText, largeText } from './lib/preferences'

// Element Plus date pickers take week start and month names from dayjs's global locale.
dayjs.locale('zh-cn')
applyLargeText(largeText.value)

createApp(App).use(router).mount('#app')
