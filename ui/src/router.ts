// Routes, lazily loaded per screen, with the sign-in and role guard.
import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router'
import type { Role } from './api/types'
import { AUDIT_READERS, CASE_READERS, CASE_WRITERS, EVERYONE, HANDLERS, OVERSEERS, SETTINGS_ADMINS, USER_ADMINS, mayOpen } from './lib/nav'
import { restoreSession, session } from './session'
import { shellConfigured } from './lib/shell'
import { zh } from './i18n/zh-CN'

declare module 'vue-router' {
  interface RouteMeta {
    /** Roles that may open the route; absent = any signed-in user. */
    roles?: readonly Role[]
    /** Shown without signing in (only the login page). */
    public?: boolean
    title?: string
  }
}

const routes: RouteRecordRaw[] = [
  {
    path: '/setup',
    name: 'setup',
    component: () => import('./views/setup/SetupView.vue'),
    meta: { public: true, title: zh.setup.title },
  },
  {
    path: '/login',
    name: 'login',
    component: () => import('./views/LoginView.vue'),
    meta: { public: true, title: zh.login.title },
  },
  {
    // The hall TV: no sign-in, masked names only.
    path: '/board',
    name: 'board',
    component: () => import('./views/hall/BoardView.vue'),
    meta: { public: true, title: zh.hall.boardTitle },
  },
  {
    path: '/',
    component: () => import('./components/AppLayout.vue'),
    children: [
      { path: '', name: 'home', component: () => import('./views/HomeView.vue'), meta: { roles: EVERYONE, title: zh.nav.home } },
      {
        path: 'matters/new',
        name: 'matter-new',
        component: () => import('./views/cases/MatterNewView.vue'),
        meta: { roles: CASE_WRITERS, title: zh.nav.matterNew },
      },
      {
        path: 'matters',
        name: 'matter-search',
        component: () => import('./views/cases/MatterSearchView.vue'),
        meta: { roles: CASE_READERS, title: zh.nav.matterSearch },
      },
      {
        path: 'matters/:matterKey',
        name: 'matter-detail',
        component: () => import('./views/cases/MatterDetailView.vue'),
        props: true,
        meta: { roles: CASE_READERS, title: zh.detail.title },
      },
      {
        path: 'persons',
        name: 'person-lookup',
        component: () => import('./views/guide/PersonLookupView.vue'),
        meta: { roles: CASE_READERS, title: zh.nav.personLookup },
      },
      {
        path: 'supervision',
        name: 'supervision',
        component: () => import('./views/supervision/SupervisionView.vue'),
        meta: { roles: HANDLERS, title: zh.nav.supervision },
      },
      {
        path: 'hall/guide',
        name: 'hall-guide',
        component: () => import('./views/hall/GuideHallView.vue'),
        meta: { roles: CASE_WRITERS, title: zh.nav.hallGuide },
      },
      {
        path: 'hall/room',
        name: 'hall-room',
        component: () => import('./views/hall/RoomView.vue'),
        meta: { roles: HANDLERS, title: zh.nav.hallRoom },
      },
      {
        path: 'hall/stats',
        name: 'hall-stats',
        component: () => import('./views/hall/HallStatsView.vue'),
        meta: { roles: OVERSEERS, title: zh.nav.hallStats },
      },
      {
        path: 'risks',
        name: 'risks',
        component: () => import('./views/supervision/RisksView.vue'),
        meta: { roles: HANDLERS, title: zh.nav.risks },
      },
      {
        path: 'indicators',
        name: 'indicators',
        component: () => import('./views/supervision/IndicatorsView.vue'),
        meta: { roles: OVERSEERS, title: zh.nav.indicators },
      },
      {
        path: 'admin/users',
        name: 'admin-users',
        component: () => import('./views/admin/UsersView.vue'),
        meta: { roles: USER_ADMINS, title: zh.nav.users },
      },
      {
        path: 'admin/settings',
        name: 'admin-settings',
        component: () => import('./views/admin/SettingsView.vue'),
        meta: { roles: SETTINGS_ADMINS, title: zh.nav.systemSettings },
      },
      {
        path: 'admin/sync',
        name: 'admin-sync',
        component: () => import('./views/admin/SyncView.vue'),
        meta: { roles: OVERSEERS, title: zh.nav.sync },
      },
      {
        path: 'admin/audit',
        name: 'admin-audit',
        component: () => import('./views/admin/AuditView.vue'),
        meta: { roles: AUDIT_READERS, title: zh.nav.audit },
      },
      {
        path: ':pathMatch(.*)*',
        name: 'not-found',
        component: () => import('./views/NotFoundView.vue'),
        meta: { title: zh.notFound.title },
      },
    ],
  },
]

export const router = createRouter({
  // Hash history: the built UI works from `xinfang serve`, the Tauri bundle or a plain file
  // server alike, with no server-side fallback rules to get wrong on a county's LAN.
  history: createWebHashHistory(),
  routes,
  scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
})

router.beforeEach(async (to) => {
  // The desktop app's first start: choose host or desk before anything else.
  const ready = await shellConfigured()
  if (!ready) return to.name === 'setup' ? true : { name: 'setup' }
  if (to.name === 'setup') {
    // Changing the mode later is the system administrator's decision (how the centre's machines
    // are set up is theirs under 三员分立, not the security or audit administrator's).
    const admin = (session.me || (await restoreSession())) && session.me?.user.role === 'admin'
    return to.query.change === '1' && admin ? true : { name: 'login' }
  }
  if (to.meta.public) {
    // A signed-in user opening the login page (e.g. with Back) goes to the desk instead; the
    // hall board stays open to anyone, signed in or not (a supervisor may look at it).
    // A user who still has to replace an initial password does that on the login page.
    if (to.name === 'login' && (session.me || (await restoreSession()))) {
      return session.me?.must_change_password ? true : { name: 'home' }
    }
    return true
  }
  if (!session.me && !(await restoreSession())) {
    return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
  }
  // An initial or reset password: the desk stays closed until it is changed (the host refuses
  // everything else anyway, with `password_change_required`).
  if (session.me!.must_change_password) {
    return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
  }
  const role = session.me!.user.role
  if (!mayOpen(role, to.meta.roles)) return { name: 'home', query: { denied: '1' } }
  return true
})

router.afterEach((to) => {
  const centre = session.me?.centre_name
  document.title = [to.meta.title, centre, zh.app.name].filter(Boolean).join(' - ')
})
